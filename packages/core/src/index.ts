export * from './authorizer.js';
export * from './errors.js';
export * from './filesystem.js';
