// Shared with the benchmarks, which stand alone (bench/ imports nothing from test/).
export * from '../../bench/lib/api-client';
