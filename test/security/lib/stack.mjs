// Starts a Stepgate for the security tests with the integration harness's
// config (../../integration/lib/stepgate.mjs) and process handling.

import { freePort, makeTempDir } from '../../integration/lib/procs.mjs';
import { Stepgate } from '../../integration/lib/stepgate.mjs';

/** Starts a Stepgate for `issuer` with config overrides (objects merged one level deep). */
export async function startStepgate(issuer, overrides = {}, { port } = {}) {
  const sg = new Stepgate({ dir: await makeTempDir('stepgate-sec-'), issuer, overrides });
  sg.port = port ?? await freePort();
  await sg.start();
  return sg;
}
