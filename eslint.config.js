// Type-aware lint. The pure core (planning, retention, schedule, naming, rendering)
// may not reach the clock, the process, the file system or child processes.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const effectModules = ['node:fs', 'node:fs/promises', 'node:child_process', 'execa', 'node:process', 'chalk', 'node:os'];

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', '.vm-cache/**', 'node_modules/**', 'bin/**', 'scripts/**', '**/*.generated.*', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: effectModules.map((name) => ({ name, message: 'src/core is pure: effects belong in src/adapters or src/apply.' })) }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/core is pure: pass values in.' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'src/core is pure: take `now` as an argument.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'src/core is pure: take `now` as an argument.' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
