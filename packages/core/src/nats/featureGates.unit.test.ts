import { describe, expect, it } from 'vitest';
import { buildTopology } from '../config/topology.js';
import { featureGates, parseServerVersion } from './featureGates.js';
import { bucketStreamConfigOf, diffConfig, streamConfigOf } from './streamConfigs.js';

describe('featureGates', () => {
  it('parses server versions, with or without a v and a suffix', () => {
    expect(parseServerVersion('2.9.10')).toEqual({ major: 2, minor: 9, micro: 10 });
    expect(parseServerVersion('v2.10.3-beta.1')).toEqual({ major: 2, minor: 10, micro: 3 });
    expect(parseServerVersion('garbage')).toEqual({ major: 0, minor: 0, micro: 0 });
  });

  it('leaves 2.10 and 2.11 features off on 2.9.10 and says why', () => {
    const g = featureGates('2.9.10');
    expect(g).toMatchObject({ version: '2.9.10', streamCompression: false, perMessageTtl: false, multipleFilterSubjects: false, metadata: false });
    expect(g.disabled.some((d) => /compression/.test(d) && d.includes('2.9.10'))).toBe(true);
    expect(g.disabled.some((d) => /TTL/.test(d))).toBe(true);
    expect(g.disabled.some((d) => /filter subjects/.test(d))).toBe(true);
  });

  it('turns features on from the version that brings them', () => {
    expect(featureGates('2.10.0')).toMatchObject({ streamCompression: true, multipleFilterSubjects: true, metadata: true, perMessageTtl: false });
    expect(featureGates('2.10.0').disabled).toHaveLength(1);
    expect(featureGates('2.11.1')).toMatchObject({ streamCompression: true, perMessageTtl: true });
    expect(featureGates('2.11.1').disabled).toEqual([]);
    expect(featureGates('3.0.0').streamCompression).toBe(true);
  });

  it('strips gated fields from what provisioning sends', () => {
    const bucket = buildTopology().buckets.agentState;
    expect(bucketStreamConfigOf(bucket, featureGates('2.9.10'))).not.toHaveProperty('compression');
    expect(bucketStreamConfigOf(bucket, featureGates('2.10.4'))).toMatchObject({ compression: 's2' });
  });

  it('sends placement only when configured', () => {
    expect(streamConfigOf(buildTopology().streams.agentState)).not.toHaveProperty('placement');
    expect(streamConfigOf(buildTopology({ placementCluster: 'c1' }).streams.agentState).placement).toEqual({ cluster: 'c1', tags: ['agent-state'] });
  });

  it('diffs configs by field, ignoring subject order', () => {
    expect(diffConfig({ subjects: ['a', 'b'], max_msgs: 1 }, { subjects: ['b', 'a'], max_msgs: 1, extra: true })).toEqual([]);
    expect(diffConfig({ subjects: ['a'], max_msgs: 1, description: 'x' }, { subjects: ['a', 'b'], max_msgs: 2, description: 'x' })).toEqual(['subjects', 'max_msgs']);
  });
});
