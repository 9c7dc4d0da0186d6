/** Small shared pieces: messages, confirmation dialogs, the one-time secret panel, a page heading. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

/** A message announced to screen readers (role=status, or alert for errors). */
export function Notice({ kind, children }: { kind: 'ok' | 'error'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** What to say about a failed call. */
export function describeFailure(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.errorCode})`;
  return err instanceof Error ? err.message : String(err);
}

/** The page's heading; takes focus when the page opens so screen readers announce it. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/** A modal confirmation (native <dialog>: focus trapped, Escape cancels). */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** Text the user must type to enable the button (strong warnings). */
  typeToConfirm?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
  }, []);
  const blocked = props.typeToConfirm !== undefined && typed !== props.typeToConfirm;
  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      class={props.danger ? 'danger' : ''}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      {props.typeToConfirm !== undefined && (
        <label>
          Type <code>{props.typeToConfirm}</code> to confirm
          <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autoComplete="off" />
        </label>
      )}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger ? 'danger' : 'primary'}
          disabled={blocked}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/**
 * A secret shown once: read-only field, copy button, warning. Dismissing drops it from memory;
 * it is never written to storage or the URL.
 */
export function SecretOnce(props: { clientId: string; secret: string; note?: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section class="secret-once" aria-labelledby="secret-title">
      <h2 id="secret-title">Client secret: shown only this once</h2>
      <p class="warning">
        Copy it now and store it in your secret manager. gatehouse keeps only a hash: nobody can show it
        again. If it is lost, rotate the secret.
      </p>
      {props.note !== undefined && <p>{props.note}</p>}
      <label>
        Client ID
        <input readOnly value={props.clientId} />
      </label>
      <label>
        Client secret
        <input
          ref={ref}
          readOnly
          value={props.secret}
          data-testid="client-secret"
          autoComplete="off"
          spellcheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      <div class="actions">
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard.writeText(props.secret).catch(() => undefined);
            setCopied(true);
          }}
        >
          Copy secret
        </button>
        <button type="button" class="primary" onClick={props.onDone}>
          I have stored the secret
        </button>
      </div>
      {copied && <p role="status">Copied to the clipboard.</p>}
    </section>
  );
}

/** Formats an ISO time for people. */
export function when(iso: string | undefined | null): string {
  if (iso === undefined || iso === null) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
