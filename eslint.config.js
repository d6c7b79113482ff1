// Lint rules, including the one-way package dependencies of ARCHITECTURE.md:
// crdt (pure) <- core <- actors, projections <- services. No deep imports into another package.
import tseslint from 'typescript-eslint';

const deep = { group: ['@mister-smith/*/src/*', '@mister-smith/*/dist/*'], message: 'Import the package entry, not its files.' };
const forbid = (names, why) => ({ group: names, message: why });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [deep] }],
    },
  },
  {
    files: ['packages/crdt/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/*'], 'crdt depends on nothing of ours.'), forbid(['@nats-io/*', 'pg', 'kysely', 'node:net', 'node:fs', 'node:fs/*'], 'crdt is pure: no I/O.')] }],
    },
  },
  {
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/actors', '@mister-smith/projections', '@mister-smith/cli', '@mister-smith/supervisor', '@mister-smith/projector', '@mister-smith/bridge'], 'core depends only on crdt.')] }],
    },
  },
  {
    files: ['packages/actors/**/*.ts', 'packages/projections/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/cli', '@mister-smith/supervisor', '@mister-smith/projector', '@mister-smith/bridge'], 'packages never import services.')] }],
    },
  },
  {
    files: ['packages/actors/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/projections', '@mister-smith/cli', '@mister-smith/supervisor', '@mister-smith/projector', '@mister-smith/bridge'], 'actors depend on core and crdt only.')] }] },
  },
  {
    files: ['packages/projections/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/actors', '@mister-smith/cli', '@mister-smith/supervisor', '@mister-smith/projector', '@mister-smith/bridge'], 'projections depend on core and crdt only.')] }] },
  },
  {
    files: ['packages/client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/*'], 'the client depends on nothing of ours (browsers load it as is).'), forbid(['@nats-io/*', 'pg', 'kysely', 'node:*'], 'the client runs in browsers: no NATS, no PostgreSQL, no Node modules.')] }] },
  },
  {
    files: ['packages/governance/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deep, forbid(['@mister-smith/actors', '@mister-smith/projections', '@mister-smith/cli', '@mister-smith/supervisor', '@mister-smith/projector', '@mister-smith/bridge'], 'governance depends on core only.')] }] },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
