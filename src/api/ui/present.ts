import type { Config } from '../../config';
import { TransferStatus } from '../../generated/prisma/client';
import { html, raw, type Html } from './html';
import type { FailedJob, RunningTransfer, ServerStatus, StatusPage } from './service';
import { STYLE } from './style';

/** Seconds between reloads of the status page (a meta refresh: no script needed). */
const REFRESH_SECONDS = 5;

/** A server's transfers by status: one column each, in the schema's order. */
const STATUSES = Object.values(TransferStatus);

function layout(title: string, body: Html, refresh = false): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refresh ? html`<meta http-equiv="refresh" content="${REFRESH_SECONDS}" />` : ''}
        <title>${title}</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        ${body}
      </body>
    </html>`.text;
}

export function presentLogin(error?: string): string {
  return layout(
    'Ferry — log in',
    html`<main class="login">
      <h1>Ferry</h1>
      <form method="post" action="/ui/login">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <button type="submit">Log in</button>
      </form>
    </main>`,
  );
}

const when = (d: Date | null | undefined): Html =>
  d
    ? html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 19).replace('T', ' ')}</time>`
    : html`—`;

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function presentStatus(page: StatusPage, config: Config): string {
  const workflowLink = (workflowId: string | null, label?: string): Html =>
    workflowId
      ? html`<a
          href="${config.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(
            config.TEMPORAL_NAMESPACE,
          )}/workflows/${encodeURIComponent(workflowId)}"
          >${label ?? workflowId}</a
        >`
      : html`—`;

  const serverRow = ({ server, counts, lastScan }: ServerStatus): Html =>
    html`<tr>
      <td>${server.name}${server.enabled ? '' : html` <span class="muted">(disabled)</span>`}</td>
      <td>${server.host}:${server.port} ${server.remoteDir}</td>
      <td>
        ${lastScan === undefined ? html`<span class="muted">unknown</span>` : lastScan === null ? 'never' : html`${workflowLink(lastScan.workflowId, lastScan.status.toLowerCase())} ${when(lastScan.closedAt ?? lastScan.startedAt)}`}
      </td>
      ${STATUSES.map((s) => html`<td class="num">${counts[s] ?? 0}</td>`)}
    </tr>`;

  const runningRow = ({ row, progress }: RunningTransfer): Html => {
    const total = progress.total ?? Number(row.size);
    const percent = total > 0 ? Math.min(100, Math.floor((progress.done / total) * 100)) : 0;
    return html`<tr class="transfer" data-transfer-id="${row.id}">
      <td>${row.server.name}</td>
      <td class="path">${row.remotePath}</td>
      <td>
        <progress value="${progress.done}" max="${total}">${percent}%</progress>
        <span class="progress-text">${bytes(progress.done)} / ${bytes(total)} (${percent}%)</span>
      </td>
      <td>${progress.phase}</td>
      <td>${when(row.startedAt)}</td>
      <td>${workflowLink(row.workflowId, 'workflow')}</td>
    </tr>`;
  };

  const failureRow = (job: FailedJob): Html =>
    html`<tr>
      <td>${job.kind}</td>
      <td class="path">${job.remotePath ?? job.refId}</td>
      <td class="error">${job.error ?? ''}</td>
      <td>${when(job.finishedAt ?? job.updatedAt)}</td>
      <td>${workflowLink(job.workflowId, 'workflow')}</td>
    </tr>`;

  const table = (caption: string, head: readonly string[], rows: Html[], empty: string): Html =>
    html`<section>
      <h2>${caption}</h2>
      ${
        rows.length === 0
          ? html`<p class="muted">${empty}</p>`
          : html`<table>
              <thead>
                <tr>
                  ${head.map((h) => html`<th>${h}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
    </section>`;

  return layout(
    'Ferry — status',
    html`<header>
        <h1>Ferry</h1>
        <span class="muted">refreshes every ${REFRESH_SECONDS} s</span>
        <form method="post" action="/ui/logout"><button type="submit">Log out</button></form>
      </header>
      <main>
        ${table('Servers', ['Server', 'Source', 'Last scan', ...STATUSES], page.servers.map(serverRow), 'No servers yet.')}
        ${table('Running transfers', ['Server', 'File', 'Progress', 'Phase', 'Started', ''], page.running.map(runningRow), 'No transfer is running.')}
        ${table(
          'Uploads and jobs in flight',
          ['Kind', 'ID', 'Status', 'Created', ''],
          page.inFlight.map(
            (j) =>
              html`<tr>
                <td>${j.kind}</td>
                <td>${j.refId}</td>
                <td>${j.status}</td>
                <td>${when(j.createdAt)}</td>
                <td>${workflowLink(j.workflowId, 'workflow')}</td>
              </tr>`,
          ),
          'Nothing in flight.',
        )}
        ${table('Recent failures', ['Kind', 'What', 'Error', 'When', ''], page.failures.map(failureRow), 'No failures.')}
      </main>`,
    true,
  );
}
