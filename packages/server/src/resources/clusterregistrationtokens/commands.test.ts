import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registrationCommands, type CommandInputs } from './commands.js';

const inputs: CommandInputs = {
  root: 'https://rancher.example.com',
  token: 'x'.repeat(54),
  clusterId: 'c-abcde',
  agentImage: 'rancher/rancher-agent:v2.4.8',
  checksum: 'a'.repeat(64),
};
const TOKEN = inputs.token;
const SUM = inputs.checksum;

describe('registrationCommands', () => {
  test('nodeCommand is the exact docker run line Rancher shows, with the CA checksum', () => {
    assert.equal(
      registrationCommands(inputs).nodeCommand,
      'sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run ' +
        `rancher/rancher-agent:v2.4.8 --server https://rancher.example.com --token ${TOKEN} --ca-checksum ${SUM}`,
    );
  });

  test('without a CA checksum there is no --ca-checksum flag', () => {
    const out = registrationCommands({ ...inputs, checksum: '' });
    assert.equal(
      out.nodeCommand,
      'sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run ' +
        `rancher/rancher-agent:v2.4.8 --server https://rancher.example.com --token ${TOKEN}`,
    );
    assert.doesNotMatch(out.nodeCommand, /ca-checksum/);
    assert.doesNotMatch(out.agentCommand, /ca-checksum/);
  });

  test('manifestUrl is <root>/v3/import/<token>_<clusterId>.yaml', () => {
    assert.equal(registrationCommands(inputs).manifestUrl, `https://rancher.example.com/v3/import/${TOKEN}_c-abcde.yaml`);
  });

  test('command and insecureCommand apply the manifest', () => {
    const out = registrationCommands(inputs);
    assert.equal(out.command, `kubectl apply -f https://rancher.example.com/v3/import/${TOKEN}_c-abcde.yaml`);
    assert.equal(out.insecureCommand, `curl --insecure -sfL https://rancher.example.com/v3/import/${TOKEN}_c-abcde.yaml | kubectl apply -f -`);
  });

  test('the insecure node command computes the checksum from the served cacerts', () => {
    const fetched = "$(curl --insecure -sfL https://rancher.example.com/v3/settings/cacerts | jq -r .value | sha256sum | awk '{ print $1 }')";
    const out = registrationCommands(inputs);
    assert.equal(
      out.insecureNodeCommand,
      'sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run ' +
        `rancher/rancher-agent:v2.4.8 --server https://rancher.example.com --token ${TOKEN} --ca-checksum ${fetched}`,
    );
    assert.equal(registrationCommands({ ...inputs, checksum: '' }).insecureNodeCommand, out.insecureNodeCommand, 'independent of the known checksum');
  });

  test('agent commands run paddock agent with the same arguments', () => {
    const out = registrationCommands(inputs);
    assert.equal(out.agentCommand, `paddock agent --server https://rancher.example.com --token ${TOKEN} --ca-checksum ${SUM}`);
    assert.match(out.insecureAgentCommand, new RegExp(`^paddock agent --server https://rancher\\.example\\.com --token ${TOKEN} --ca-checksum \\$\\(curl --insecure -sfL https://rancher\\.example\\.com/v3/settings/cacerts `));
  });

  test('the root is used as given, including a port', () => {
    const out = registrationCommands({ ...inputs, root: 'https://10.0.0.5:8443' });
    assert.match(out.nodeCommand, / --server https:\/\/10\.0\.0\.5:8443 /);
    assert.equal(out.manifestUrl, `https://10.0.0.5:8443/v3/import/${TOKEN}_c-abcde.yaml`);
  });

  test('every command is one line', () => {
    for (const [name, value] of Object.entries(registrationCommands(inputs))) assert.doesNotMatch(value, /\n/, name);
  });
});
