export { type Clock, FakeClock, realClock } from './clock.js';
export { type IndexFunc, type Lister, Cache, deepFreeze } from './cache.js';
export { type EventHandler, type InformerOptions, Informer } from './informer.js';
export { type LogFn, type Logger, noopLogger } from './logger.js';
export {
  type ControllerRateLimiterOptions,
  type ExponentialBackoffOptions,
  type RateLimiter,
  type TokenBucketOptions,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.js';
export { type WorkQueue, type WorkQueueOptions, RateLimitingQueue } from './workqueue.js';
export {
  type CacheSync,
  type ControllerOptions,
  type InformerEvents,
  type SyncFunc,
  Controller,
} from './controller.js';
