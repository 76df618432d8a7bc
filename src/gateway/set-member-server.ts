/**
 * The pair's OPC UA server when it is one instance of a redundant set of gateways: FindServers
 * (OPC UA Part 4 §5.4.2, "a Server may return other Servers") also answers the other instances'
 * servers of the set, so that a client that read ServerUriArray finds where each ServerUri is
 * served with the standard discovery call instead of a configuration of its own.
 */
import {
  ApplicationDescription,
  ApplicationType,
  type OPCUAServerOptions,
  type ServerSecureChannelLayer,
} from "node-opcua";
import { QuotaOpcUaServer, type RefusalListener } from "../security/session-quota.ts";
import type { SetMember } from "./redundant-set.ts";

export class SetMemberServer extends QuotaOpcUaServer {
  readonly #peers: ApplicationDescription[];

  constructor(
    options: OPCUAServerOptions & {
      maxSessionsPerClient: number;
      onRefused?: RefusalListener;
      /** The other instances' servers of this pair's set. */
      peers: readonly SetMember[];
    },
  ) {
    const { peers, ...serverOptions } = options;
    super(serverOptions);
    this.#peers = peers.map(
      (peer) =>
        new ApplicationDescription({
          applicationUri: peer.applicationUri,
          applicationName: { text: `opcua-redundancy ${peer.name}` },
          applicationType: ApplicationType.Server,
          productUri: "urn:opcua-redundancy:gateway",
          discoveryUrls: [peer.endpointUrl],
        }),
    );
  }

  override getServers(channel: ServerSecureChannelLayer): ApplicationDescription[] {
    return [...super.getServers(channel), ...this.#peers];
  }
}
