// Every workflow the worker registers. Deterministic code only (lint enforces it).
export { healthCheck } from './health';
