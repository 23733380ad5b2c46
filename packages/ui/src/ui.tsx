import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { errorText, markerOf, type Collection } from './api';
import { Link } from './router';

/** Loads something when `deps` change; `reload` loads again keeping the old data shown meanwhile. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !ctl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload, setData: (data: T) => setState({ data, loading: false }) };
}

/** Runs an async action with busy and error state, for buttons and forms. */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  const run = async (...args: A): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await fn(...args);
      return true;
    } catch (err) {
      if (mounted.current) setError(err);
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { run, busy, error, setError };
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      {label ? <span>{label}</span> : <span className="sr-only">Working…</span>}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="loading" aria-busy="true">
      <Spinner label={`Loading ${what}…`} />
    </div>
  );
}

export function ErrorNote({ error, action }: { error: unknown; action?: ReactNode }) {
  if (error === undefined || error === null) return null;
  return (
    <div className="error-note" role="alert">
      <strong>Error:</strong> {errorText(error)} {action}
    </div>
  );
}

type ButtonProps = React.ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; variant?: 'primary' | 'danger' | 'plain' | 'link' };

export function Button({ busy, variant = 'plain', children, disabled, className, type = 'button', ...rest }: ButtonProps) {
  return (
    <button type={type} className={`btn btn-${variant} ${className ?? ''}`} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {busy && <span className="spinner small" aria-hidden="true" />}
      {children}
    </button>
  );
}

export interface FieldInputProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

/** A labelled form control with an optional hint and the API's error for it, announced to screen readers. */
export function Field({ label, hint, error, children, className }: { label: ReactNode; hint?: ReactNode; error?: string; children: (p: FieldInputProps) => ReactNode; className?: string }) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field ${error ? 'has-error' : ''} ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': described || undefined, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={`${id}-err`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

const STATE_TONE: Record<string, string> = {
  active: 'ok',
  provisioning: 'busy',
  pending: 'busy',
  updating: 'busy',
  registering: 'busy',
  waiting: 'busy',
  initializing: 'busy',
  removing: 'busy',
  cordoned: 'muted',
  drained: 'muted',
  inactive: 'muted',
  disabled: 'muted',
  expired: 'muted',
  unavailable: 'bad',
  error: 'bad',
  failed: 'bad',
};

/** A labelled search box, as the lists' toolbars show it. */
export function SearchField({ label, value, onChange, placeholder }: { label: ReactNode; value: string; onChange: (value: string) => void; placeholder?: string }) {
  return (
    <label className="inline-field">
      <span>{label}</span>
      <input type="search" value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} />
    </label>
  );
}

/** A labelled drop-down, as the lists' toolbars show it; `children` are its options. */
export function SelectField({ label, value, onChange, children }: { label: ReactNode; value: string; onChange: (value: string) => void; children: ReactNode }) {
  return (
    <label className="inline-field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {children}
      </select>
    </label>
  );
}

/**
 * Pages of a server-paged list, shown only when there is more than one: the total (`{total} {unit}`), back to the
 * first page, and on to the next (`marker` is the current page's, '' on the first).
 */
export function Pager({ page, marker, setMarker, label, unit = 'in all' }: { page: Collection; marker: string; setMarker: (m: string) => void; label: string; unit?: string }) {
  if (!marker && !page.pagination?.next) return null;
  return (
    <nav className="pager" aria-label={label}>
      <span>
        {page.pagination?.total} {unit}
      </span>
      <Button disabled={!marker} onClick={() => setMarker('')}>
        First page
      </Button>
      <Button disabled={!page.pagination?.next} onClick={() => setMarker(markerOf(page.pagination?.next) ?? '')}>
        Next
      </Button>
    </nav>
  );
}

export function StateBadge({ state, title }: { state: string | undefined; title?: string }) {
  const s = state || 'unknown';
  return (
    <span className={`badge tone-${STATE_TONE[s] ?? 'muted'}`} title={title}>
      <span className="dot" aria-hidden="true" />
      {s}
    </span>
  );
}

/**
 * A modal confirmation (native <dialog>: focus is kept inside, Escape cancels). Enter in a field of the body
 * confirms. `children` may be a function of the action's error, for a body whose fields show it themselves
 * (`errorInBody`); otherwise the error shows above the buttons.
 */
export function Confirm({
  title,
  children,
  confirmLabel,
  danger,
  disabled,
  errorInBody,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode | ((error: unknown) => ReactNode);
  confirmLabel: string;
  danger?: boolean;
  disabled?: boolean;
  errorInBody?: boolean;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const action = useAction(onConfirm);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d || d.open) return;
    d.showModal();
    // showModal focuses the first control, which may be a field of the body: a destructive dialog starts on Cancel.
    d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, []);
  const confirm = async () => {
    if (await action.run()) onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!disabled && !action.busy) void confirm();
  };
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onCancel={(e) => (action.busy ? e.preventDefault() : onClose())}>
      <h2 id={titleId}>{title}</h2>
      <form onSubmit={submit} noValidate>
        <div className="dialog-body">{typeof children === 'function' ? children(action.error) : children}</div>
        {!errorInBody && <ErrorNote error={action.error} />}
        <div className="actions">
          <Button onClick={onClose} disabled={action.busy} data-autofocus={danger || undefined}>
            Cancel
          </Button>
          <Button type="submit" variant={danger ? 'danger' : 'primary'} busy={action.busy} disabled={disabled} data-autofocus={!danger || undefined}>
            {action.busy ? `${confirmLabel}…` : confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // permission refused: fall back to a selection
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy; select the text and copy it by hand');
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | string>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <span className="copy">
      <Button
        onClick={() =>
          copyText(text).then(
            () => setState('copied'),
            (err: unknown) => setState(`Copy failed: ${errorText(err)}`),
          )
        }
      >
        {label}
      </Button>
      <span aria-live="polite" className={state === 'copied' ? 'copied' : 'field-error'}>
        {state === 'idle' ? '' : state === 'copied' ? 'Copied' : state}
      </span>
    </span>
  );
}

/** A command or secret to copy, in a scrollable box. */
export function CodeBox({ text, label, testId }: { text: string; label: string; testId?: string }) {
  return (
    <div className="codebox">
      <pre tabIndex={0} aria-label={label} data-testid={testId}>
        <code>{text}</code>
      </pre>
      <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />
    </div>
  );
}

const UNITS: [number, string][] = [
  [60, 'second'],
  [60, 'minute'],
  [24, 'hour'],
  [30, 'day'],
  [12, 'month'],
  [Infinity, 'year'],
];

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  let v = Math.round((now - t) / 1000);
  const future = v < 0;
  v = Math.abs(v);
  if (v < 5) return future ? 'in a moment' : 'just now';
  for (const [size, unit] of UNITS) {
    if (v < size) return future ? `in ${v} ${unit}${v === 1 ? '' : 's'}` : `${v} ${unit}${v === 1 ? '' : 's'} ago`;
    v = Math.floor(v / size);
  }
  return iso;
}

/** A relative time that stays current, with the exact time for hovering and screen readers. */
export function Time({ iso }: { iso: string | undefined }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {ago(iso)}
    </time>
  );
}

export function Tabs({ tabs, current, label }: { tabs: { to: string; label: string; id: string }[]; current: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <Link key={t.id} to={t.to} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}

let pagesShown = 0;

/** The page's heading; focused when the page opens so screen readers announce where the person is. */
export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // After a client-side navigation focus goes to the new page's heading; on the first load it stays at
    // the top of the document, so the first Tab reaches "Skip to content".
    if (pagesShown++ > 0) ref.current?.focus({ preventScroll: true });
    if (typeof children === 'string') document.title = `${children} · Paddock`;
  }, [children]);
  return (
    <div className="page-title">
      <h1 ref={ref} tabIndex={-1}>
        {children}
      </h1>
      {actions && <div className="actions">{actions}</div>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A live-updates indicator: people should know whether what they see follows the server. */
export function LiveBadge({ status }: { status: 'connecting' | 'live' | 'reconnecting' }) {
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span className={`live live-${status}`} role="status" title="Changes on the server show here as they happen">
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}
