import { ReadBarrierTimeoutError } from '../replicas/read-barrier.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError } from '../store/types.js';
import { ApiError } from './errors.js';
import { BODY_LIMIT } from './limits.js';

interface HttpLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/** The request body limit, as people read it. */
const BODY_LIMIT_TEXT = `${BODY_LIMIT / (1024 * 1024)} MiB`;

/** Fastify's own request errors (body parsing, limits) as API errors. */
function fromFastify(err: HttpLikeError): ApiError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('RequestEntityTooLarge', `request body is larger than ${BODY_LIMIT_TEXT}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UnsupportedMediaType', 'unsupported content type; send application/json');
    case 'FST_ERR_BAD_URL':
      return new ApiError('NotFound', String(err.message));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('InvalidBodyContent', String(err.message));
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return new ApiError('InvalidBodyContent', String(err.message ?? 'bad request'));
      }
      return undefined;
  }
}

/**
 * The one place where anything thrown while serving a request becomes a norman error.
 * Unknown errors become a 500 whose message reveals nothing; the caller logs the original.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreNotFoundError) return new ApiError('NotFound', err.message);
  if (err instanceof StoreConflictError) return new ApiError('Conflict', err.message);
  if (err instanceof StoreAlreadyExistsError) return new ApiError('AlreadyExists', err.message);
  if (err instanceof ReadBarrierTimeoutError) return new ApiError('ServiceUnavailable', err.message);
  if (typeof err === 'object' && err !== null) {
    const mapped = fromFastify(err as HttpLikeError);
    if (mapped) return mapped;
  }
  return new ApiError('ServerError', 'internal server error');
}
