/** The migration report `gatehouse import auth0` prints: what was (or would be) done, and why not. */
import { formatTable, indent } from '../output/table.ts';
import type { ImportPlan } from './plan-import.ts';

/** A client created by the import, with its new secret unless that went to a file. */
export interface CreatedClient {
  readonly name: string;
  readonly auth0ClientId: string;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
}

function verb(action: 'create' | 'exists', dryRun: boolean): string {
  if (action === 'exists') return 'exists';
  return dryRun ? 'would create' : 'created';
}

/** Formats the report. */
export function formatMigrationReport(
  plan: ImportPlan,
  outcome: { dryRun: boolean; created: readonly CreatedClient[]; secretsFile?: string | undefined },
): string {
  const { dryRun } = outcome;
  const sections: string[] = [`Auth0 import${dryRun ? ' (dry run: nothing written)' : ''}`];
  const notes = (list: readonly string[]) => list.join('; ');
  sections.push(
    `APIs\n${indent(
      plan.apis.length === 0
        ? '(none)'
        : formatTable(
            [
              { header: 'IDENTIFIER', value: (r: ImportPlan['apis'][number]) => r.label },
              { header: 'SCOPES', value: (r) => r.body.scopes.map((s) => s.value).join(' ') },
              { header: 'RESULT', value: (r) => verb(r.action, dryRun) },
              { header: 'NOTES', value: (r) => notes(r.notes), maxWidth: 200 },
            ],
            plan.apis,
          ),
    )}`,
  );
  sections.push(
    `Clients\n${indent(
      plan.clients.length === 0
        ? '(none)'
        : formatTable(
            [
              { header: 'NAME', value: (r: ImportPlan['clients'][number]) => r.label },
              { header: 'AUTH0 CLIENT ID', value: (r) => r.auth0Id },
              {
                header: 'GATEHOUSE CLIENT ID',
                value: (r) =>
                  r.existingId ?? outcome.created.find((c) => c.auth0ClientId === r.auth0Id)?.clientId ?? '-',
              },
              { header: 'RESULT', value: (r) => verb(r.action, dryRun) },
              { header: 'NOTES', value: (r) => notes(r.notes), maxWidth: 200 },
            ],
            plan.clients,
          ),
    )}`,
  );
  sections.push(
    `Grants\n${indent(
      plan.grants.length === 0
        ? '(none)'
        : formatTable(
            [
              { header: 'CLIENT -> API', value: (r: ImportPlan['grants'][number]) => r.label },
              { header: 'SCOPES', value: (r) => r.body.scope.join(' ') },
              { header: 'RESULT', value: (r) => verb(r.action, dryRun) },
            ],
            plan.grants,
          ),
    )}`,
  );
  if (plan.skipped.length > 0) {
    sections.push(
      `Skipped\n${indent(plan.skipped.map((s) => `${s.kind} ${s.label}: ${s.reason}`).join('\n'))}`,
    );
  }
  if (plan.conflicts.length > 0) {
    sections.push(`Conflicts (nothing was written)\n${indent(plan.conflicts.join('\n'))}`);
  }
  if (outcome.created.length > 0) {
    sections.push(
      outcome.secretsFile !== undefined
        ? `New client secrets written to ${outcome.secretsFile} (mode 0600). Give each service its new id and secret, then retire the Auth0 clients.`
        : `New client secrets (shown once)\n${indent(
            formatTable(
              [
                { header: 'NAME', value: (c: CreatedClient) => c.name },
                { header: 'CLIENT ID', value: (c) => c.clientId },
                { header: 'CLIENT SECRET', value: (c) => c.clientSecret ?? '', maxWidth: 200 },
              ],
              outcome.created,
            ),
          )}`,
    );
  }
  if (!dryRun && plan.conflicts.length === 0) {
    sections.push(
      "Next: point each service's token client at gatehouse (issuer, new client id and secret); its `audience` stays the same. Services that verify tokens switch their issuer to gatehouse.",
    );
  }
  return sections.join('\n\n');
}
