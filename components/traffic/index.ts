export { type HostConnection, HostUpstream, type HostUpstreamArgs } from "./host-upstream";
export {
    type NginxConfigOptions,
    type NginxPaths,
    renderNginxConfig,
    renderUpstream,
    type UpstreamOptions,
} from "./nginx-config";
export { canaryReplicas, trackWeights, type TrackWeights } from "./traffic-split";
export type { UpstreamTuning } from "./upstream-tuning";
export { WeightedUpstream, type WeightedUpstreamArgs } from "./weighted-upstream";
