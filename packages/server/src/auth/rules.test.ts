import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRule, firstUncovered, MANAGEMENT_GROUP, ruleAllows, rulesAllow, rulesCover, type PolicyRule } from './rules.js';

const M = MANAGEMENT_GROUP;
const ALL: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };

describe('ruleAllows', () => {
  test('a request is allowed when verb, group and resource all match', () => {
    const r: PolicyRule = { apiGroups: [M], resources: ['clusters'], verbs: ['get', 'list'] };
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'clusters' }), true, 'the management group is the default');
    assert.equal(ruleAllows(r, { verb: 'list', resource: 'clusters', apiGroup: M }), true);
    assert.equal(ruleAllows(r, { verb: 'update', resource: 'clusters' }), false, 'other verb');
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'nodes' }), false, 'other resource');
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'clusters', apiGroup: '' }), false, 'other group (core)');
  });

  test('`*` in verbs, groups or resources matches anything', () => {
    assert.equal(ruleAllows(ALL, { verb: 'delete', resource: 'anything', apiGroup: 'apps' }), true);
    assert.equal(ruleAllows({ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }, { verb: 'get', resource: 'pods', apiGroup: '' }), true);
    assert.equal(ruleAllows({ apiGroups: [M], resources: ['*'], verbs: ['get'] }, { verb: 'get', resource: 'nodes' }), true);
    assert.equal(ruleAllows({ apiGroups: [M], resources: ['nodes'], verbs: ['*'] }, { verb: 'escalate', resource: 'nodes' }), true);
  });

  test('a rule without groups, resources or verbs allows nothing', () => {
    assert.equal(ruleAllows({ resources: ['clusters'], verbs: ['get'] }, { verb: 'get', resource: 'clusters' }), false, 'no apiGroups');
    assert.equal(ruleAllows({ apiGroups: [M], verbs: ['get'] }, { verb: 'get', resource: 'clusters' }), false, 'no resources');
    assert.equal(ruleAllows({ apiGroups: [M], resources: ['clusters'], verbs: [] }, { verb: 'get', resource: 'clusters' }), false, 'no verbs');
  });

  test('resourceNames limit a rule to those objects; a request without a name does not match them', () => {
    const r: PolicyRule = { apiGroups: [M], resources: ['clusters'], verbs: ['get'], resourceNames: ['c-aaaaa', 'c-bbbbb'] };
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'clusters', name: 'c-aaaaa' }), true);
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'clusters', name: 'c-ccccc' }), false);
    assert.equal(ruleAllows(r, { verb: 'get', resource: 'clusters' }), false);
    assert.equal(ruleAllows({ ...r, resourceNames: ['*'] }, { verb: 'get', resource: 'clusters', name: 'c-aaaaa' }), false, 'no wildcard in names (as in Kubernetes)');
    assert.equal(ruleAllows({ ...r, resourceNames: [] }, { verb: 'get', resource: 'clusters' }), true, 'an empty list means every object');
  });

  test('a nonResourceURLs rule allows no resource request', () => {
    assert.equal(ruleAllows({ nonResourceURLs: ['*'], verbs: ['*'] }, { verb: 'get', resource: 'clusters' }), false);
  });

  test('rulesAllow: any one rule suffices', () => {
    const rules: PolicyRule[] = [
      { apiGroups: [M], resources: ['clusters'], verbs: ['get'] },
      { apiGroups: [M], resources: ['nodes'], verbs: ['update'] },
    ];
    assert.equal(rulesAllow(rules, { verb: 'update', resource: 'nodes' }), true);
    assert.equal(rulesAllow(rules, { verb: 'update', resource: 'clusters' }), false, 'verbs of one rule do not combine with resources of another');
    assert.equal(rulesAllow([], { verb: 'get', resource: 'clusters' }), false);
  });
});

describe('rulesCover', () => {
  const clustersRead: PolicyRule = { apiGroups: [M], resources: ['clusters'], verbs: ['get', 'list'] };

  test('the same rule, a wider one and `*` cover a rule', () => {
    assert.equal(rulesCover([clustersRead], clustersRead), true);
    assert.equal(rulesCover([{ apiGroups: [M], resources: ['clusters', 'nodes'], verbs: ['*'] }], clustersRead), true);
    assert.equal(rulesCover([ALL], clustersRead), true);
    assert.equal(rulesCover([ALL], ALL), true);
  });

  test('coverage may be spread over several held rules, one (verb, resource) at a time', () => {
    const held: PolicyRule[] = [
      { apiGroups: [M], resources: ['clusters'], verbs: ['get'] },
      { apiGroups: [M], resources: ['clusters'], verbs: ['list'] },
    ];
    assert.equal(rulesCover(held, clustersRead), true);
    assert.equal(rulesCover(held.slice(0, 1), clustersRead), false);
  });

  test('a wanted `*` needs a held `*`: listing every verb, group or resource is not enough', () => {
    const everyVerb: PolicyRule = { apiGroups: [M], resources: ['clusters'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] };
    assert.equal(rulesCover([everyVerb], { apiGroups: [M], resources: ['clusters'], verbs: ['*'] }), false);
    assert.equal(rulesCover([{ apiGroups: [M], resources: ['clusters', 'nodes'], verbs: ['*'] }], { apiGroups: [M], resources: ['*'], verbs: ['get'] }), false);
    assert.equal(rulesCover([{ apiGroups: [M, ''], resources: ['*'], verbs: ['*'] }], { apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }), false);
    assert.equal(rulesCover([{ apiGroups: [M], resources: ['*'], verbs: ['*'] }], { apiGroups: [M], resources: ['*'], verbs: ['*'] }), true);
  });

  test('narrower held rules do not cover: other verb, resource, group', () => {
    assert.equal(rulesCover([{ apiGroups: [M], resources: ['clusters'], verbs: ['get'] }], clustersRead), false);
    assert.equal(rulesCover([{ apiGroups: [M], resources: ['nodes'], verbs: ['*'] }], clustersRead), false);
    assert.equal(rulesCover([{ apiGroups: [''], resources: ['clusters'], verbs: ['*'] }], clustersRead), false);
    assert.equal(rulesCover([], clustersRead), false);
  });

  test('resourceNames: held names cover only those names; a wanted rule without names needs a held rule without names', () => {
    const named = (...names: string[]): PolicyRule => ({ ...clustersRead, resourceNames: names });
    assert.equal(rulesCover([named('a', 'b')], named('a')), true);
    assert.equal(rulesCover([named('a')], named('a', 'b')), false);
    assert.equal(rulesCover([named('a'), named('b')], named('a', 'b')), true);
    assert.equal(rulesCover([named('a', 'b')], clustersRead), false, 'all objects are more than the named ones');
    assert.equal(rulesCover([clustersRead], named('a')), true, 'all objects cover any named one');
  });

  test('nonResourceURLs: exact, `*`, and prefix wildcards', () => {
    const url = (verbs: string[], ...urls: string[]): PolicyRule => ({ verbs, nonResourceURLs: urls });
    assert.equal(rulesCover([url(['get'], '/healthz')], url(['get'], '/healthz')), true);
    assert.equal(rulesCover([url(['get'], '/healthz')], url(['post'], '/healthz')), false, 'other verb');
    assert.equal(rulesCover([url(['get'], '/healthz')], url(['get'], '/metrics')), false, 'other URL');
    assert.equal(rulesCover([url(['*'], '*')], url(['get', 'post'], '/metrics', '/version')), true);
    assert.equal(rulesCover([url(['get'], '/api*')], url(['get'], '/api/v1')), true, 'prefix');
    assert.equal(rulesCover([url(['get'], '/api*')], url(['get'], '/apis*')), true, 'a narrower prefix');
    assert.equal(rulesCover([url(['get'], '/api*')], url(['get'], '*')), false, 'a wanted `*` URL needs a held `*`');
    assert.equal(rulesCover([url(['get'], '/api/v1')], url(['get'], '/api*')), false, 'one URL does not cover a prefix');
    assert.equal(rulesCover([ALL], url(['get'], '/healthz')), false, 'resource rules cover no URLs');
    assert.equal(rulesCover([url(['*'], '*')], clustersRead), false, 'URL rules cover no resources');
  });

  test('firstUncovered names the first rule not held; describeRule says it in words', () => {
    const wanted: PolicyRule[] = [clustersRead, { apiGroups: [''], resources: ['pods'], verbs: ['delete'], resourceNames: ['x'] }];
    assert.equal(firstUncovered([clustersRead], wanted), wanted[1]);
    assert.equal(firstUncovered([ALL], wanted), undefined);
    assert.equal(describeRule(wanted[1] as PolicyRule), 'delete on pods named x in API group core');
    assert.equal(describeRule({ verbs: ['get'], nonResourceURLs: ['/healthz'] }), 'get on URLs /healthz');
  });
});
