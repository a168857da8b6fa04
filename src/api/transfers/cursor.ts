import { decodeKeyset, encodeKeyset, type Keyset } from '../cursor';
import { UUID } from '../params';

/** Keyset pagination over transfers (src/api/cursor.ts): the last row's (createdAt, id). */
export type TransferCursor = Keyset;

export const encodeCursor = (row: TransferCursor): string => encodeKeyset(row);

export const decodeCursor = (cursor: string): TransferCursor => decodeKeyset(cursor, (id) => UUID.test(id));
