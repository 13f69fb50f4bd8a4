// Original file: proto/relaycast/v1/membership.proto

export const MemberKind = {
  MEMBER_KIND_UNSPECIFIED: 'MEMBER_KIND_UNSPECIFIED',
  MEMBER_KIND_NODE: 'MEMBER_KIND_NODE',
  MEMBER_KIND_RELAY: 'MEMBER_KIND_RELAY',
} as const;

export type MemberKind =
  | 'MEMBER_KIND_UNSPECIFIED'
  | 0
  | 'MEMBER_KIND_NODE'
  | 1
  | 'MEMBER_KIND_RELAY'
  | 2

export type MemberKind__Output = typeof MemberKind[keyof typeof MemberKind]
