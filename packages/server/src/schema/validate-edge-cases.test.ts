import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f, type FieldSet } from './fields.js';
import { validateCreate, validateUpdate } from './validate.js';

test('open object: declared create:false keys are dropped on create, like everywhere else', () => {
  const fields = { cfg: f.object('cfg', { managed: f.int({ create: false, update: false }), known: f.int() }, { open: true }) } satisfies FieldSet;
  const out = validateCreate(fields, { cfg: { managed: 'not-even-an-int', known: 1, free: 'x' } });
  assert.deepEqual(out.cfg, { known: 1, free: 'x' });
});

test('open object: declared update:false keys are dropped on update', () => {
  const fields = { cfg: f.object('cfg', { managed: f.int({ update: false }), known: f.int() }, { open: true }) } satisfies FieldSet;
  const { merged } = validateUpdate(fields, { cfg: { managed: 1, known: 1 } }, { cfg: { managed: 99, known: 2 } });
  assert.deepEqual(merged.cfg, { managed: 1, known: 2 });
});

test('map key __proto__ is kept as an own key', () => {
  const fields = { labels: f.map(f.string()), extra: f.map(f.json()) } satisfies FieldSet;
  const out = validateCreate(fields, JSON.parse('{"labels":{"__proto__":"x","a":"b"},"extra":{"__proto__":{"polluted":true}}}'));
  assert.deepEqual(Object.keys(out.labels as object), ['__proto__', 'a']);
  assert.deepEqual(JSON.parse(JSON.stringify(out.extra)), JSON.parse('{"__proto__":{"polluted":true}}'));
});
