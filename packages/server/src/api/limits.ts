/** Largest request body the API reads (larger ones are refused with 413 before parsing). */
export const BODY_LIMIT = 1024 * 1024;
