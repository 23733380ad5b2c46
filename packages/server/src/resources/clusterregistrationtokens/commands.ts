/**
 * The commands a registration token is shown with, as Rancher formats them. `root` is the server URL
 * (`server-url`, or the URL the request came in on); `checksum` is '' when there is no CA to pin.
 */
export interface CommandInputs {
  root: string;
  token: string;
  clusterId: string;
  agentImage: string;
  checksum: string;
}

export interface RegistrationCommands {
  nodeCommand: string;
  insecureNodeCommand: string;
  agentCommand: string;
  insecureAgentCommand: string;
  command: string;
  insecureCommand: string;
  manifestUrl: string;
}

const DOCKER_RUN = 'sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run';

export function registrationCommands(i: CommandInputs): RegistrationCommands {
  const pin = i.checksum ? ` --ca-checksum ${i.checksum}` : '';
  const fetchedSum = `$(curl --insecure -sfL ${i.root}/v3/settings/cacerts | jq -r .value | sha256sum | awk '{ print $1 }')`;
  const agentArgs = `--server ${i.root} --token ${i.token}`;
  const manifestUrl = `${i.root}/v3/import/${i.token}_${i.clusterId}.yaml`;
  return {
    nodeCommand: `${DOCKER_RUN} ${i.agentImage} ${agentArgs}${pin}`,
    insecureNodeCommand: `${DOCKER_RUN} ${i.agentImage} ${agentArgs} --ca-checksum ${fetchedSum}`,
    agentCommand: `paddock agent ${agentArgs}${pin}`,
    insecureAgentCommand: `paddock agent ${agentArgs} --ca-checksum ${fetchedSum}`,
    command: `kubectl apply -f ${manifestUrl}`,
    insecureCommand: `curl --insecure -sfL ${manifestUrl} | kubectl apply -f -`,
    manifestUrl,
  };
}
