import { get, type Resource } from './api';
import { useAsync } from './ui';

/**
 * The server's rule for a new password (setting `password-min-length`, 12 until it answers), applied to the
 * password and its confirmation as the person types. `tooShort` and `mismatch` are the messages to show next to
 * the fields (undefined when fine, or while a field is empty); `checking` is true until the server answers.
 */
export function usePasswordRule(password: string, confirm: string) {
  const min = useAsync(() => get<Resource & { value: string }>('/v3/settings/password-min-length').then((s) => Number(s.value) || 12), []);
  const minLength = min.data ?? 12;
  const tooShort = password !== '' && [...password].length < minLength ? `The password must be at least ${minLength} characters long.` : undefined;
  const mismatch = confirm !== '' && confirm !== password ? 'The two passwords differ.' : undefined;
  return { minLength, checking: min.loading, tooShort, mismatch, invalid: Boolean(tooShort ?? mismatch) };
}
