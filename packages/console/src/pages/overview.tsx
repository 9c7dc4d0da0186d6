/** Overview: counts, tokens issued per client over time, failures by error code, clients not caching. */
import { useEffect, useState } from 'preact/hooks';
import { api, listAll } from '../api.ts';
import { LineChart } from '../components/line-chart.tsx';
import { describeFailure, Notice, PageTitle } from '../components/ui.tsx';
import type { Client, ResourceServer, TokenStats } from '../types.ts';

/** The overview page. */
export function OverviewPage() {
  const [apis, setApis] = useState<ResourceServer[] | undefined>(undefined);
  const [clients, setClients] = useState<Client[] | undefined>(undefined);
  const [stats, setStats] = useState<TokenStats | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    listAll<ResourceServer>('resource-servers').then(setApis, (e) => setError(describeFailure(e)));
    listAll<Client>('clients').then(setClients, (e) => setError(describeFailure(e)));
    api<TokenStats>('GET', 'stats/tokens').then(setStats, (e) =>
      setError(`Token statistics: ${describeFailure(e)}`),
    );
  }, []);
  const hour = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  return (
    <>
      <PageTitle>Overview</PageTitle>
      {error !== undefined && <Notice kind="error">{error}</Notice>}
      <div class="tiles">
        <a class="tile" href="#/apis">
          <span class="num">{apis?.length ?? '…'}</span> APIs
        </a>
        <a class="tile" href="#/clients">
          <span class="num">{clients?.length ?? '…'}</span> clients
        </a>
        <a class="tile" href="#/clients">
          <span class="num">{clients?.filter((c) => c.disabled).length ?? '…'}</span> disabled
        </a>
        <div class="tile">
          <span class="num">{stats?.issued.reduce((a, s) => a + s.total, 0) ?? '…'}</span> tokens in 24 h
        </div>
      </div>
      {stats !== undefined && (
        <>
          <section aria-labelledby="issued-title">
            <h2 id="issued-title">Tokens issued per client, last 24 hours</h2>
            {stats.issued.length === 0 ? (
              <p>No token issued in this period.</p>
            ) : (
              <LineChart
                title="Tokens issued per client per hour"
                labels={stats.buckets.map(hour)}
                series={stats.issued.map((s) => ({
                  label: `${s.client_name ?? s.client_id} → ${s.audience}`,
                  values: s.series,
                }))}
              />
            )}
          </section>
          <section aria-labelledby="failures-title">
            <h2 id="failures-title">Failed token requests by error code</h2>
            {stats.failures.length === 0 ? (
              <p>No failed token request in this period.</p>
            ) : (
              <table>
                <caption class="sr-only">Failures by error code</caption>
                <thead>
                  <tr>
                    <th scope="col">Error</th>
                    <th scope="col">Count</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.failures.map((f) => (
                    <tr key={f.error}>
                      <td>
                        <code>{f.error}</code>
                      </td>
                      <td>{f.total}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="caching-title">
            <h2 id="caching-title">Clients requesting far more tokens than they need</h2>
            {stats.not_caching.length === 0 ? (
              <p>Every client caches its tokens.</p>
            ) : (
              <table>
                <caption class="sr-only">Clients that do not cache tokens</caption>
                <thead>
                  <tr>
                    <th scope="col">Client</th>
                    <th scope="col">API</th>
                    <th scope="col">Issued</th>
                    <th scope="col">Needed with caching</th>
                    <th scope="col">Ratio</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.not_caching.map((n) => (
                    <tr key={`${n.client_id} ${n.audience}`}>
                      <td>{n.client_name ?? n.client_id}</td>
                      <td>
                        <code>{n.audience}</code>
                      </td>
                      <td>{n.issued}</td>
                      <td>{n.expected}</td>
                      <td>{n.ratio.toFixed(1)}×</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}
