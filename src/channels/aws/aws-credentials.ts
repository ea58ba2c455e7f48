import { z } from 'zod';

/**
 * Static IAM credentials for an AWS channel, as the channel's credentials (sealed at rest, never returned). `action`
 * names the permission the key needs, for the OpenAPI description.
 */
export function awsCredentialsSchema(action: string) {
  return z
    .strictObject({
      accessKeyId: z.string().min(16).max(128).describe(`An IAM access key allowed ${action}.`),
      secretAccessKey: z.string().min(16).max(128).describe('Its secret access key.'),
      sessionToken: z.string().min(1).optional().describe('Only for temporary credentials.'),
    })
    .describe('AWS credentials (write-only)');
}

export type AwsCredentials = z.output<ReturnType<typeof awsCredentialsSchema>>;
