// Which cluster events reload the cluster list's page: those that can change it, not every heartbeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { couldBeOnPage, fieldsUsed, likeMatches, offPageEventMatters, type PageView, type Seen } from '../src/page-window.tsx';

const c = (id: string, name: string, state = 'active', created = '2025-01-01T00:00:00.000Z', resourceVersion = '10'): Seen => ({ id, name, state, created, resourceVersion });
const byName: PageView = { sort: 'name', order: 'asc', q: '', state: '', marker: '', hasNext: true };
/** The first page of clusters named b..d, of more. */
const page = [c('c-b', 'b'), c('c-c', 'c'), c('c-d', 'd')];
const SINCE = Date.parse('2025-06-01T00:00:00.000Z');

test('a change off the page to fields the sort and filter do not use is ignored', () => {
  const seen = c('c-x', 'x');
  const event = { removed: false, item: { ...c('c-x', 'x', 'unavailable', undefined, '11') } };
  assert.equal(offPageEventMatters(byName, page, event, seen, SINCE), false, 'state is neither sorted nor filtered on');
  assert.equal(offPageEventMatters({ ...byName, sort: 'state' }, page, event, seen, SINCE), true, 'sorted by state');
  assert.equal(offPageEventMatters({ ...byName, state: 'active' }, page, event, seen, SINCE), true, 'filtered by state: the total changes');
  assert.equal(offPageEventMatters({ ...byName, q: 'x' }, page, event, seen, SINCE), false, 'the name filter does not look at state');
  assert.equal(offPageEventMatters(byName, page, { removed: false, item: c('c-x', 'a-new-name', 'active', undefined, '11') }, seen, SINCE), true, 'renamed');
});

test('creates and deletes off the page reload it; an event older than what is known does not', () => {
  assert.equal(offPageEventMatters(byName, page, { removed: true, item: c('c-x', 'x') }, c('c-x', 'x'), SINCE), true);
  const fresh = { ...c('c-y', 'y', 'provisioning', '2025-06-01T00:00:01.000Z', '20'), createdTS: Date.parse('2025-06-01T00:00:01.000Z') };
  assert.equal(offPageEventMatters(byName, page, { removed: false, item: fresh }, undefined, SINCE), true, 'created since the page loaded');
  assert.equal(offPageEventMatters(byName, page, { removed: false, item: c('c-y', 'y') }, undefined, SINCE), false, 'an old cluster, seen for the first time, that sorts after the page');
  assert.equal(offPageEventMatters(byName, page, { removed: false, item: c('c-x', 'renamed', 'active', undefined, '9') }, c('c-x', 'x'), SINCE), false, 'stale');
});

test("an item never seen before matters only if it could be on the page, in the server's order", () => {
  assert.equal(couldBeOnPage(byName, page, c('c-a', 'a')), true, 'before the first item of the first page');
  assert.equal(couldBeOnPage({ ...byName, marker: 'c-b' }, page, c('c-a', 'a')), false, 'before the first item of a later page');
  assert.equal(couldBeOnPage(byName, page, c('c-cc', 'cc')), true, 'between');
  assert.equal(couldBeOnPage(byName, page, c('c-z', 'z')), false, 'after the last item, with a next page');
  assert.equal(couldBeOnPage({ ...byName, hasNext: false }, page, c('c-z', 'z')), true, 'after the last item of the last page');
  assert.equal(couldBeOnPage(byName, page, c('c-a', 'd')), true, 'same name as the last item: the id decides, and c-a < c-d');
  assert.equal(couldBeOnPage(byName, page, c('c-e', 'd')), false);
  const desc: PageView = { ...byName, order: 'desc' };
  const descPage = [c('c-d', 'd'), c('c-c', 'c'), c('c-b', 'b')];
  assert.equal(couldBeOnPage(desc, descPage, c('c-cc', 'cc')), true);
  assert.equal(couldBeOnPage(desc, descPage, c('c-a', 'a')), false);
  assert.equal(couldBeOnPage({ ...byName, q: 'zz' }, page, c('c-cc', 'cc')), false, 'does not match the filter');
  assert.equal(couldBeOnPage(byName, [], c('c-a', 'a')), true, 'an empty page');
});

test('name filters match as the server’s LIKE does', () => {
  assert.equal(likeMatches('Production-East', 'east'), true, 'anywhere, any case');
  assert.equal(likeMatches('prod-east', 'prod%'), true);
  assert.equal(likeMatches('my-prod', 'prod%'), false, 'with % it is anchored');
  assert.equal(likeMatches('prod1', 'prod_'), true);
  assert.equal(likeMatches('a.b', 'a.b'), true);
  assert.equal(likeMatches('axb', 'a.b'), false, 'regular expression characters are literal');
  assert.deepEqual(fieldsUsed({ sort: 'created', q: ' x ', state: 'active' }).sort(), ['created', 'name', 'state']);
});
