export * from './cfn-lint.js';
