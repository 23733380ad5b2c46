/**
 * Every API error Paddock answers with, in norman's closed table (norman httperror/error.go).
 * Anything thrown inside a request is turned into one of these by `toApiError`, in one place.
 */
export const ErrorCodes = {
  Unauthorized: 401,
  PermissionDenied: 403,
  NotFound: 404,
  ActionNotAvailable: 404,
  MethodNotAllow: 405,
  Conflict: 409,
  AlreadyExists: 409,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  InvalidDateFormat: 422,
  InvalidFormat: 422,
  InvalidReference: 422,
  NotNullable: 422,
  NotUnique: 422,
  MinLimitExceeded: 422,
  MaxLimitExceeded: 422,
  MinLengthExceeded: 422,
  MaxLengthExceeded: 422,
  InvalidOption: 422,
  InvalidCharacters: 422,
  MissingRequired: 422,
  InvalidCSRFToken: 422,
  InvalidAction: 422,
  InvalidBodyContent: 422,
  InvalidType: 422,
  InvalidState: 422,
  TooManyRequests: 429,
  ServerError: 500,
  NotImplemented: 501,
  ClusterUnavailable: 503,
  ServiceUnavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ApiErrorBody {
  type: 'error';
  baseType: 'error';
  status: number;
  code: ErrorCode;
  message: string;
  fieldName?: string;
}

export class ApiError extends Error {
  readonly status: number;
  /** Extra response headers, e.g. Retry-After on 429. */
  headers: Record<string, string> = {};

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fieldName?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ErrorCodes[code];
  }

  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = {
      type: 'error',
      baseType: 'error',
      status: this.status,
      code: this.code,
      message: this.message,
    };
    if (this.fieldName !== undefined) body.fieldName = this.fieldName;
    return body;
  }
}

export const notFound = (what: string) => new ApiError('NotFound', `${what} not found`);
