import { ApiError } from '../../api/errors.js';

/** Password rules: at least `password-min-length` characters and not the username. */
export function checkNewPassword(password: string, username: string, minLength: number, field = 'newPassword'): void {
  if ([...password].length < minLength) {
    throw new ApiError('InvalidBodyContent', `password must be at least ${minLength} characters`, field);
  }
  if (password === username) throw new ApiError('InvalidBodyContent', 'password cannot be the same as the username', field);
}
