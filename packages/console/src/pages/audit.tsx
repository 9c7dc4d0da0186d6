/** The audit log (`GET /api/v2/logs`), filterable by type, actor, target and time. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { describeFailure, Notice, PageTitle, when } from '../components/ui.tsx';
import type { LogEntry } from '../types.ts';

const TYPES: Array<[string, string]> = [
  ['', 'any'],
  ['sapi', 'change succeeded'],
  ['fapi', 'change failed'],
  ['s', 'console sign-in'],
  ['f', 'console sign-in failed'],
  ['slo', 'console sign-out'],
];

/** The audit log page. */
export function AuditPage() {
  const [logs, setLogs] = useState<LogEntry[] | undefined>(undefined);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(0);
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);

  useEffect(() => {
    const q = new URLSearchParams({ page: String(page), per_page: '25', include_totals: 'true' });
    for (const [k, v] of Object.entries(filter))
      if (v !== '') q.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
    api<{ logs: LogEntry[]; total: number }>('GET', `logs?${q}`).then(
      (r) => {
        setLogs(r.logs);
        setTotal(r.total);
        setError(undefined);
      },
      (err) => setError(describeFailure(err)),
    );
  }, [page, filter]);

  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <form
        class="card filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const next: Record<string, string> = {};
          for (const [k, v] of data.entries()) next[k] = String(v).trim();
          setPage(0);
          setFilter(next);
        }}
      >
        <label>
          Type
          <select name="type">
            {TYPES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Who (client ID)
          <input name="client_id" spellcheck={false} />
        </label>
        <label>
          Target ID
          <input name="target_id" spellcheck={false} />
        </label>
        <label>
          From
          <input name="from" type="datetime-local" />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit" class="primary">
          Filter
        </button>
      </form>
      {error !== undefined && <Notice kind="error">{error}</Notice>}
      {logs === undefined ? (
        <p>Loading…</p>
      ) : (
        <>
          <p role="status">
            {total} entr{total === 1 ? 'y' : 'ies'}
          </p>
          <div class="scroll">
            <table>
              <caption class="sr-only">Audit log entries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {logs.map((l) => (
                  <>
                    <tr key={l.log_id}>
                      <td>{when(l.date)}</td>
                      <td>
                        <button
                          type="button"
                          class="link"
                          aria-expanded={open === l.log_id}
                          onClick={() => setOpen(open === l.log_id ? undefined : l.log_id)}
                        >
                          {l.details?.action ?? l.description}
                        </button>
                      </td>
                      <td>{l.client_name ?? l.client_id ?? '—'}</td>
                      <td>
                        <code>
                          {l.details?.target ? `${l.details.target.type} ${l.details.target.id}` : '—'}
                        </code>
                      </td>
                      <td>{l.details?.outcome ?? l.type}</td>
                    </tr>
                    {open === l.log_id && (
                      <tr key={`${l.log_id}-d`}>
                        <td colSpan={5}>
                          <div class="diff">
                            <div>
                              <h3>Before</h3>
                              <pre>{JSON.stringify(l.details?.before ?? null, null, 2)}</pre>
                            </div>
                            <div>
                              <h3>After</h3>
                              <pre>{JSON.stringify(l.details?.after ?? null, null, 2)}</pre>
                            </div>
                          </div>
                          {l.details?.error && <p>Error: {l.details.error.message}</p>}
                        </td>
                      </tr>
                    )}
                  </>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Newer
            </button>
            <button type="button" disabled={(page + 1) * 25 >= total} onClick={() => setPage(page + 1)}>
              Older
            </button>
          </div>
        </>
      )}
    </>
  );
}
