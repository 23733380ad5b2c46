import { useState, type FormEvent } from 'react';
import { fieldError, get, put, qs, resourcePath, type Collection, type Resource } from '../api';
import { useLive } from '../live';
import { Button, Empty, ErrorNote, Field, Loading, PageTitle, useAction, useAsync } from '../ui';

interface Setting extends Resource {
  value: string;
  default?: string;
  customized?: boolean;
  source?: 'db' | 'default' | 'env';
}

const HELP: Record<string, string> = {
  'server-url': 'The https:// address nodes and people use to reach this server; used in registration commands.',
  'password-min-length': 'The shortest password a user may choose.',
  'auth-token-max-ttl-minutes': 'The longest an API key may live, in minutes (0: no limit).',
  'auth-user-session-ttl-minutes': 'How long a login lasts, in minutes.',
  'agent-image': 'The agent image in Docker registration commands.',
  'ui-index': 'Which web UI this server serves: local (the built-in one), a directory holding another build, or the URL of an index.html.',
  'ui-pl': 'The product name shown to people.',
  'telemetry-opt': 'Whether to send anonymous usage data (in or out).',
  'kubeconfig-generate-token': 'Whether generated kubeconfig files carry a token.',
  'first-login': 'true until the first administrator has changed the initial password.',
};

/** Every setting the caller may see; the writable ones can be edited or reset to their default. */
export function SettingsPage() {
  const list = useAsync(() => get<Collection<Setting>>(`/v3/settings${qs({ limit: -1, sort: 'name' })}`), []);
  useLive(['setting'], list.reload, list.reload);
  const [editing, setEditing] = useState<string>();
  const settings = list.data?.data ?? [];
  return (
    <main className="page" id="main">
      <PageTitle>Settings</PageTitle>
      <ErrorNote error={list.error} action={<Button onClick={list.reload}>Try again</Button>} />
      {!list.data && list.loading && <Loading what="settings" />}
      {list.data && settings.length === 0 && <Empty>No settings you may see.</Empty>}
      <ul className="settings">
        {settings.map((s) => (
          <li key={s.id} className="card setting" data-setting={s.id}>
            <div className="setting-head">
              <h2 className="setting-name">{s.id}</h2>
              <span className="sub">{s.source === 'env' ? 'from the environment (read-only)' : s.customized ? 'changed' : 'default'}</span>
              {s.links?.update && editing !== s.id && (
                <Button variant="link" onClick={() => setEditing(s.id)} aria-label={`Edit ${s.id}`}>
                  Edit
                </Button>
              )}
            </div>
            {HELP[s.id] && <p className="hint">{HELP[s.id]}</p>}
            {editing === s.id ? (
              <EditSetting
                setting={s}
                onDone={() => {
                  setEditing(undefined);
                  list.reload();
                }}
              />
            ) : (
              <pre className="value" tabIndex={0} aria-label={`Value of ${s.id}`}>
                {s.value === '' ? <em>(empty)</em> : s.value}
              </pre>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}

function EditSetting({ setting, onDone }: { setting: Setting; onDone: () => void }) {
  const [value, setValue] = useState(setting.value);
  const save = useAction(async (v: string) => {
    await put(resourcePath('settings', setting.id), { value: v });
    onDone();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(value);
  };
  const multiline = setting.value.includes('\n') || setting.value.length > 80;
  const err = save.error;
  return (
    <form className="form" onSubmit={submit}>
      <Field label={`New value of ${setting.id}`} hint={setting.default !== undefined ? `Default: ${setting.default || '(empty)'}` : undefined} error={fieldError(err, 'value', 'name')}>
        {(p) => (multiline ? <textarea {...p} rows={5} value={value} onChange={(e) => setValue(e.target.value)} autoFocus /> : <input {...p} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />)}
      </Field>
      {err !== undefined && !fieldError(err, 'value', 'name') && <ErrorNote error={err} />}
      <div className="actions">
        <Button onClick={onDone} disabled={save.busy}>
          Cancel
        </Button>
        {setting.customized && (
          <Button onClick={() => void save.run('')} disabled={save.busy}>
            Reset to default
          </Button>
        )}
        <Button type="submit" variant="primary" busy={save.busy}>
          {save.busy ? 'Saving…' : 'Save'}
        </Button>
      </div>
    </form>
  );
}
