/**
 * A small `.events` file for the tests of files as stores (the CLI's and the extension's): two
 * accounts (a dotted type: the category is its prefix, `BankAccount`) and an order (an undotted
 * type: the stream's name before `-`, `order`); exact values and a comment.
 */
export const FIXTURE_EVENTS = [
  '# fixtures: two accounts and an order',
  '### BankAccount.Opened  account-1',
  'created: 2026-01-01T10:00:00Z',
  'metadata: {"correlationId": "c-1"}',
  '',
  '{ "full_name": "Alice", "big": 123456789012345678901234567890 }',
  '',
  '### OrderPlaced  order-7',
  '{ "sku": "X-1" }',
  '',
  '### BankAccount.Credited  account-1',
  '{ "amount": "200.00" }',
  '',
  '### BankAccount.Opened  account-2',
  '{ "full_name": "Bob" }',
  '',
  '### BankAccount.Debited  account-1',
  '{ "amount": "250.00" }',
  '',
].join('\n');
