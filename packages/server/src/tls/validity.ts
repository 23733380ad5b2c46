// Lifetimes of generated certificates. Kept apart from ca.ts/serving.ts so that reading them does
// not load @peculiar/x509.

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long a generated CA is valid: 10 years. */
export const CA_VALIDITY_MS = 10 * 365 * DAY_MS;

/** How long a generated serving certificate is valid: 1 year (never past the CA's own expiry). */
export const SERVING_VALIDITY_MS = 365 * DAY_MS;

/** Generated certificates start this long before `now`, so clients with a slow clock accept them. */
export const BACKDATE_MS = 60 * 60 * 1000;

/** By default a serving certificate is renewed when it expires within 30 days. */
export const DEFAULT_RENEW_BEFORE_MS = 30 * DAY_MS;
