import path from 'node:path';

/** The checkout's root, wherever it is cloned. */
export const repoRoot = path.resolve(__dirname, '../..');
