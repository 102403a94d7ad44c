import { afterAll, describe, expect, it } from 'vitest';
import { Registry, revokeTower } from '../../../certs-tool/index.js';
import { RegistryView } from '../../../local/iot/broker/certs.js';
import { makeCerts, removeDirs, waitFor } from './support.js';

describe("the broker's registry view", () => {
  let dir = '';
  afterAll(() => removeDirs(dir));

  it('tells its watcher about a revocation that a CONNECT read first', async () => {
    dir = await makeCerts(['tower-a', 'tower-b']);
    const view = new RegistryView(dir);
    let reloads = 0;
    view.watch(() => reloads++);
    const revoked = Registry.load(dir).currentForTower('tower-a')!;
    const other = Registry.load(dir).currentForTower('tower-b')!;
    revokeTower(dir, 'tower-a');
    // A CONNECT of another tower in the same tick reads the changed file before the file watcher fires.
    expect(view.find(other.certificateId)?.status).toBe('ACTIVE');
    await waitFor(() => reloads > 0, 'the view to report the reload');
    expect(view.find(revoked.certificateId)?.status).toBe('REVOKED');
    view.close();
  });
});
