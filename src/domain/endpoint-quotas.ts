/**
 * Pinpoint's endpoint quotas, which Herald keeps so that data that fit in Pinpoint fit here and the other way round.
 * Breaking one is `HERALD_QUOTA_EXCEEDED`.
 *
 * @example
 * if (name.length > ENDPOINT_QUOTAS.attributeNameLength) throw new HeraldError('HERALD_QUOTA_EXCEEDED', ...);
 */
export const ENDPOINT_QUOTAS = {
  /** Characters in an attribute, metric or user-attribute name. */
  attributeNameLength: 50,
  /** Characters in one attribute value. */
  attributeValueLength: 100,
  /** Values in one attribute. */
  valuesPerAttribute: 50,
  /** Distinct names across attributes, metrics and user attributes, per app. Names stay counted once used. */
  attributeKeysPerApp: 250,
  /** Endpoints that share one user id. */
  endpointsPerUser: 15,
  /** Size of one endpoint as JSON, in bytes. */
  endpointBytes: 15 * 1024,
} as const;

/** Which map an attribute name belongs to; the per-app key quota counts each (kind, name) once. */
export type AttributeKind = 'attributes' | 'metrics' | 'userAttributes';

export interface AttributeKey {
  readonly kind: AttributeKind;
  readonly name: string;
}
