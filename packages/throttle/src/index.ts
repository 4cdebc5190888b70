/**
 * `@ftpkit/throttle`: bandwidth limits for ftpkit, per transfer (pyftpdlib's `ThrottledDTPHandler`),
 * per user and server-wide.
 */

export { type AuthorizerWithLimits, hasUserLimits, type RateLimits } from './limits.js';
export { parseRate, type Rate } from './parse-rate.js';
export {
  createThrottlePlugin,
  type PerUserLimits,
  type ThrottleOptions,
  type ThrottlePlugin,
  type ThrottleStats,
} from './plugin.js';
