// The agent module's public surface: records <-> typed agent cards (docs/records.md). src/mcp and the CLI import from here.

export { AgentRecordError, AgentErrorCode, type AgentErrorCodeName, type RecordProblem } from './errors.js';
export { cardFromRecords, orderEndpoints, type AgentCard, type AgentEndpoint, type CardOptions, type DnssecChainLink, type DnssecKeyRef, type DnssecSigner } from './card.js';
export { recordsFromCard, endpointFromUrl, svcbRecordText, zoneLine, type AgentRecords, type RecordsOptions, type EndpointOptions } from './records.js';
export {
  dnsAidIndexView, INDEX_PROTOCOL, INDEX_TXT_PREFIX, indexLabel, indexStrings, indexTxtRdata, parseIndexString, parseIndexTxt, readIndexRecord, type IndexEntry, type IndexRecordRead,
} from './index-txt.js';
export {
  capabilityLabel, capIndexRoot, entryHash, isPage, layoutIndex, listedOnPath, MAX_PAGE_DEPTH, orgIndexRoot, PAGE_MAX, pageDepth, pageOwner, pagePath,
  placeOf, zoneIndexEntries, type IndexMember, type PagePlace, type PtrView, type ZoneIndexEntry,
} from './index-pages.js';
export {
  parseAid, formatAid, aidFromTxt, aidTxtRdata, aidDescription, txtStrings, selectAid, aidClientProblems,
  AID_VERSION, AID_VERSIONS, MAX_AID_DESCRIPTION, MAX_AID_TEXT, type AidRecord, type AidVersion,
} from './aid.js';
export { dnsAidProblems, type ClientProblem } from './client-compat.js';
export { agentName, aliasTarget, classifySvcbSet, AliasChain, MAX_ALIAS_HOPS, type SvcbSetKind } from './alias.js';
export { SvcKey, keyLabel, readSvcb, writeSvcb, alpnIds, alpnValue, type SvcbData } from './svcb.js';
export { buildUrl, type UrlResult } from './url.js';
export { DEFAULT_PORT, TRANSPORTS, SCHEMES, type Scheme, type Transport } from './values.js';
export {
  checkAgentZone, formatAgentFault, agentFaultLines, indexName, AgentZoneCode,
  type AgentZoneFault, type AgentZoneCodeName, type AgentZoneOptions, type AgentZoneView,
} from './zone-check.js';
export {
  CAP_FORMAT, CAP_PATH_PREFIX, MAX_CAPABILITY_BYTES, CapabilityCode, CapabilityError, capabilityFromCard, capabilityTool, capDigest, capPathFor,
  checkCapability, parseCapability, serializeCapability, serverCardName,
  type CapabilityCodeName, type CapabilityDocument, type CapabilityFromCardOptions, type CapabilityRemote, type CapabilityTool, type ListedTool, type ParsedCapability,
} from './capability.js';
