// The deployment files: the Kustomize base and the example overlay render with `kubectl
// kustomize`, every object validates against the Kubernetes schemas (npm kubernetes-models),
// the pod is locked down, the rendered ConfigMap passes `stepgate check`, nothing is published
// but the example Ingress's four Stepgate pages, and the Dockerfile's runtime stage installs
// exactly the libraries the binary links.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { parseAllDocuments } from 'yaml';

import { PUBLIC_PAGES, parseYamlDocuments } from './lib/manifests.mjs';
import { REPO_ROOT, STEPGATE_BIN } from './lib/stepgate.mjs';

function render(dir) {
  const out = execFileSync('kubectl', ['kustomize', path.join(REPO_ROOT, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((doc) => {
    assert.deepEqual(doc.errors, [], `YAML errors in the rendering of ${dir}`);
    return doc.toJS();
  });
}

// kubernetes-models throws a descriptive error when an object breaks its schema.
async function validate(object) {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [null, object.apiVersion];
  const module = await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  const Model = module[object.kind];
  assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

const byKind = (objects, kind) => objects.filter((o) => o.kind === kind);

describe('Kubernetes base (deploy/kubernetes)', () => {
  const objects = render('deploy/kubernetes');

  test('holds the objects the contract lists, each valid against its schema', async () => {
    const kinds = objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    for (const object of objects) await validate(object);
  });

  test('the validator catches a broken object (the check can fail)', async () => {
    const broken = structuredClone(byKind(objects, 'Deployment')[0]);
    broken.spec.replicas = 'two';
    await assert.rejects(validate(broken));
  });

  test('the pod runs non-root, read-only, without capabilities, with probes and resources', () => {
    const deployment = byKind(objects, 'Deployment')[0];
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    const [container] = pod.containers;
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    const secretRefs = container.env.map((e) => e.valueFrom?.secretKeyRef?.name);
    assert.ok(secretRefs.every((name) => name === 'stepgate-secrets'), 'secrets come from the Secret');
    // A directory mount (no subPath) so that kubelet's ConfigMap updates reach the pod.
    const mount = container.volumeMounts.find((m) => m.mountPath === '/etc/stepgate');
    assert.ok(mount && !mount.subPath);
    assert.equal(pod.volumes.find((v) => v.name === mount.name).configMap.name, 'stepgate-config');
  });

  test('selectors of the Service, PDB and HPA reach the Deployment', () => {
    const deployment = byKind(objects, 'Deployment')[0];
    const labels = deployment.spec.template.metadata.labels;
    const matches = (selector) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(matches(byKind(objects, 'Service')[0].spec.selector));
    assert.ok(matches(byKind(objects, 'PodDisruptionBudget')[0].spec.selector.matchLabels));
    assert.equal(byKind(objects, 'HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name, deployment.metadata.name);
  });

  test('the rendered ConfigMap passes `stepgate check`', () => {
    const configMap = byKind(objects, 'ConfigMap')[0];
    const dir = fs.mkdtempSync('/tmp/stepgate-deploy-');
    try {
      const file = path.join(dir, 'stepgate.yaml');
      fs.writeFileSync(file, configMap.data['stepgate.yaml']);
      const env = { ...process.env, STEPGATE_CLIENT_SECRET: 'x',
        STEPGATE_COOKIE_SECRET: 'MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=' };
      const result = spawnSync(STEPGATE_BIN, ['check', '--config', file], { env, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      // And a broken edit is caught, with the file position.
      fs.writeFileSync(file, configMap.data['stepgate.yaml'].replace('level: mfa', 'level: gold'));
      const broken = spawnSync(STEPGATE_BIN, ['check', '--config', file], { env, encoding: 'utf8' });
      assert.equal(broken.status, 1);
      assert.match(broken.stderr, /stepgate\.yaml:\d+:\d+: rules\[\d+\]\.require\.level: unknown level gold/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('example overlay (deploy/overlays/example)', () => {
  test('renders into its namespace with its image and Secret, all valid', async () => {
    const objects = render('deploy/overlays/example');
    for (const object of objects) await validate(object);
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) assert.equal(object.metadata.namespace, 'auth');
    const deployment = byKind(objects, 'Deployment')[0];
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.template.spec.containers[0].image, 'registry.example.com/platform/stepgate:0.1.0');
    assert.equal(byKind(objects, 'Secret')[0].metadata.name, 'stepgate-secrets');
  });
});

describe('public routes: the base and the overlay publish nothing; the example Ingress only the pages', () => {
  test('no Ingress in deploy/kubernetes or deploy/overlays/example: the Service stays internal', () => {
    for (const dir of ['deploy/kubernetes', 'deploy/overlays/example']) {
      const objects = render(dir);
      assert.deepEqual(objects.filter((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute'), [], dir);
      assert.equal(byKind(objects, 'Service')[0].spec.type, 'ClusterIP', dir);
    }
  });

  test("deploy/examples/ingress-nginx/ingress.yaml: valid Ingresses; Stepgate's backend only on its four pages, Exact",
      async () => {
        const file = path.join(REPO_ROOT, 'deploy/examples/ingress-nginx/ingress.yaml');
        const ingresses = parseYamlDocuments(fs.readFileSync(file, 'utf8'));
        for (const object of ingresses) await validate(object);
        const toStepgate = ingresses.flatMap((i) => i.spec.rules.flatMap((r) => r.http.paths
            .filter((p) => p.backend.service.name === 'stepgate').map((p) => `${p.pathType} ${r.host}${p.path}`)));
        assert.deepEqual(toStepgate, PUBLIC_PAGES.map((page) => `Exact auth.example.com/stepgate${page}`));
      });
});

describe('container image (Dockerfile, checked statically: no engine runs here)', () => {
  const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1).map((s) => 'FROM ' + s);

  test('builds on Debian 12 and runs as a numeric non-root user on bookworm-slim', () => {
    assert.equal(stages.length, 2);
    assert.match(stages[0], /^FROM debian:bookworm AS build/);
    assert.match(stages[1], /^FROM debian:bookworm-slim/);
    const user = stages[1].match(/^USER (\d+)(?::(\d+))?$/m);
    assert.ok(user && Number(user[1]) > 0, 'USER is a numeric non-root uid');
    assert.match(stages[1], /COPY --from=build \/build\/stepgate /);
  });

  test('the runtime stage installs the package of every library the binary links', () => {
    const installed = new Set((stages[1].match(/apt-get install[^&]*/)[0].match(/\blib[\w.+-]+|ca-certificates/g)));
    // What debian:bookworm-slim already has.
    const base = new Set(['libc6', 'libgcc-s1', 'libstdc++6']);
    // The image builds the plain release binary: check that one even when the suite runs
    // against the sanitizer build (which links the sanitizer runtimes too).
    const imageBinary = path.join(REPO_ROOT, 'build/release/stepgate');
    const ldd = execFileSync('ldd', [fs.existsSync(imageBinary) ? imageBinary : STEPGATE_BIN], { encoding: 'utf8' });
    const libraries = [...ldd.matchAll(/=>\s+(\S+)/g)].map((m) => m[1]);
    assert.ok(libraries.length > 3, ldd);
    const missing = [];
    for (const library of libraries) {
      // dpkg knows a file by the path its package installed (/lib or /usr/lib, usrmerge).
      const queries = [library, fs.realpathSync(library), `*/x86_64-linux-gnu/${path.basename(library)}`];
      const owner = queries.map((q) => spawnSync('dpkg', ['-S', q], { encoding: 'utf8' }).stdout).find(Boolean) ?? '';
      const pkg = owner.split(':')[0].trim();
      assert.ok(pkg, `no package owns ${library}`);
      if (!installed.has(pkg) && !base.has(pkg)) missing.push(`${library} (${pkg})`);
    }
    assert.deepEqual(missing, [], 'libraries the runtime stage would lack');
  });
});
