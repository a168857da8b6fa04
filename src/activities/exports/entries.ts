import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Db } from '../../lib/db';
import { Failure, nonRetryable } from '../../workflows/contract';

export interface Entry {
  index: number;
  key: string;
  etag: string;
  size: bigint;
  path: string;
}

/** An entry and how to get its bytes: already fetched (a small object) or opened when asked. */
export interface ReadyEntry {
  entry: Entry;
  open: () => Promise<Readable>;
}

/** Entries read from the database a page at a time, so a huge export never sits in memory whole. */
const ENTRY_PAGE = 1000;
/** Objects fetched ahead of the zip: with many small objects, one GET at a time would set the pace. */
const LOOKAHEAD = 16;
/** Objects up to this size are fetched ahead, whole; larger ones are streamed when their turn comes. */
const SMALL_OBJECT_BYTES = 256 * 1024;
/** What the look-ahead may hold at most (docs/exports.md, "Memory bounds"). */
export const LOOKAHEAD_BYTES = LOOKAHEAD * SMALL_OBJECT_BYTES;

/** The object as recorded when the sources were resolved; a changed or missing one fails the export. */
async function openObject(
  s3: S3Client,
  bucket: string,
  entry: Entry,
  signal: AbortSignal,
): Promise<Readable> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: entry.key, IfMatch: entry.etag }), {
      abortSignal: signal,
    });
    return got.Body as Readable;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 412 || status === 404) {
      throw nonRetryable(
        Failure.ExportSourceChanged,
        `object "${entry.key}" changed or vanished since the export resolved its sources`,
      );
    }
    throw err;
  }
}

async function readWhole(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The recorded entries of an export in archive order, each ready to be
 * read. Small objects are fetched up to LOOKAHEAD entries ahead of the one
 * being zipped, whole (so no response waits half-read on a connection);
 * large ones are opened when the zip asks for them and streamed with
 * backpressure. Memory stays under LOOKAHEAD_BYTES plus one stream.
 */
export class EntryReader {
  private readonly ahead: ReadyEntry[] = [];
  private page: Entry[] = [];
  private nextIndex = 0;
  private exhausted = false;

  constructor(
    private readonly db: Db,
    private readonly s3: S3Client,
    private readonly source: { exportId: string; bucket: string },
    private readonly signal: AbortSignal,
  ) {}

  /** The next entry in archive order; undefined after the last. */
  async next(): Promise<ReadyEntry | undefined> {
    while (!this.exhausted && this.ahead.length <= LOOKAHEAD) {
      const entry = await this.nextRow();
      if (!entry) this.exhausted = true;
      else this.ahead.push(this.prepare(entry));
    }
    return this.ahead.shift();
  }

  private prepare(entry: Entry): ReadyEntry {
    const open = () => openObject(this.s3, this.source.bucket, entry, this.signal);
    if (entry.size > BigInt(SMALL_OBJECT_BYTES)) return { entry, open };
    const whole = open().then(readWhole);
    // Awaited when its turn comes; until then a failure (or a cancel) must not count as unhandled.
    whole.catch(() => undefined);
    return {
      entry,
      open: async () => {
        const bytes = await whole;
        return Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false });
      },
    };
  }

  private async nextRow(): Promise<Entry | undefined> {
    if (this.page.length === 0) {
      this.page = await this.db.exportEntry.findMany({
        where: { exportId: this.source.exportId, index: { gte: this.nextIndex } },
        orderBy: { index: 'asc' },
        take: ENTRY_PAGE,
      });
    }
    const entry = this.page.shift();
    if (entry) this.nextIndex = entry.index + 1;
    return entry;
  }
}
