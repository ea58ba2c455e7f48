/**
 * SANDBOX-ONLY TEST MATERIAL, NOT A SECRET: the RSA key and self-signed certificate the AWS sandboxes sign their SNS
 * messages with. They are public on purpose (anyone can forge a "sandbox SNS" message with them), so Herald only
 * trusts them when the sandbox's own host is in the SNS certificate-host allow-list, which happens when the sandbox
 * is mounted in the same process (`herald serve --sandbox`) or in tests.
 *
 * Generated once with:
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 36500 \
 *     -subj "/CN=sns.sandbox.herald.invalid/O=Herald sandbox (test material, not a secret)" \
 *     -keyout sns-key.pem -out sns-cert.pem
 * Kept as TypeScript strings (not .pem files) so the build copies them to dist/ like any module.
 */
export const SANDBOX_SNS_SIGNING_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC0tX0F01PcC0mL
luLUeNUkBkNXoyEtSwg+Gfe/3lSDANjdoFtvTwBoLN1St1yvDQov6DQjpeD8nfCv
1fIRvS9sVmGtBXebBXMPU2OAQLncpL9xCunpN8xbA6FuBEQcrpRzimsZ4Tlp77Ir
/gX1r4SmHEKpXB25/hyXcmOlYF3UN38FJyDEGXZA6iAIxf/8oEFdPXtDosMPzg4q
CGT3S99kLlEna4TyqOmBYkJHbeR0msf1W1bUoF044O8RsJVJfoydtNJYz2MLsju4
te92UThZ1EL0Cw7UHboMyBnNehyMittnP84b+pHHYfRCSt7usB9X+PRdPUk+C4Ki
hQwGONiNAgMBAAECggEAQuq798bIVIEXhGnk6FIwd00cbdz6IagZzslV7YZ6nCJZ
rEQ/56mFGI6YjJNa7nWxMolVmWfJNzKTWMGsiLYaVA9uzx/pqQ2tDF1QSMNvMA4P
2F/2u4aOlZt0EWXiBQ7+6QQ2Ydh9psV8oH7KHS8YO1zWsJlsZp37X3eb/7b+N+GO
0kYZzXn+SAekdOS/n26rcqiZ/WsmFZXzP4/GYNFfjF8KPiWmfxq9BtIEsxgHW9lB
rKQywh+utPxysQ29KGGRkKaxICcyTKddyVjTfd9RMMLw0+xwi9zp3j1a18OhgL13
vAdktQBq8sLDscdDD9wqKxEBu5gvQwW9v+cyirokTwKBgQDwOgk4xoi8mgJAOm/T
jgl8lTPoi1wu7Dr5q+r1bqXMl3KoqpSUQh+usEI7gEMCKYBS9p3unjBnQmyPKxmh
ltVBK2/qkJXyY+i0gwlvdx709/yxKe98CA6LruYxnErZvglXWeGsX+xZ1VrLjMA/
YjFBxfHEKRV/x4gjcjkDy7+ntwKBgQDAkwUYUCRwyBkQENKW6H8kFcO+p54vaaTC
52lRa/LORepAF0c+sxC0aR1qXINQVpWXWQxZV0ajYtXIxoMOEXm543Fljiv287A0
7YvVH1W3cWOvskPSdzDGsWTPRQmWwm2S6PfdiIuO5Ax7Na/fSarecYqp3u8IDRsQ
Wg3tcjiZ2wKBgCOAIB7A0DI2/EAropz775D2p64k8iGJDYoaCuXsTRo4A1zDoKNs
RixVpeQPJ1fpdCpOgbZisDqCSXK65tXHaYpw9eAPL+mbNCeA+eL8EpoXD8PKs7Z7
plKkLSaFt1YITG8ZPE1x+4anDfzotvxm8WqL6xeXDrNMdGTwm1ZhRNhvAoGBAJjo
pFUH3ceHuw7crLqS5dF7TrBmW9593gu8wA2cz3EmZrh5Q2LvwEXgaTD5QHNcLO++
D2YpPLejVOlVZt6W1bbaeEIRP6uZF8MPE8coWGGOsX7i56OIbLx4QvmpcdG5lFPg
lF/deiL9xUNX/8wmrHxwX5A+qkIUVfcH6qMt3O+dAoGBAJ/HwnmPhIsVIi7j9Kfm
sNep/fGj7sjPIZLR71bsfFrUUFVULNyQhwKrpWDQ3/9YTUeKKUgUAkuVDkvNOg3P
HlkUeHkisqTEMknXInL5YTQiaSvyDV3ueC/SDB9z1tki57RaXvC8z+MrZsYJwA5J
4PC2mfvTei7tPV833vuFdFUt
-----END PRIVATE KEY-----
`;

export const SANDBOX_SNS_SIGNING_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIDmzCCAoOgAwIBAgIUdIDi49NbKtkVw5nLrIGCa7506WswDQYJKoZIhvcNAQEL
BQAwXDEjMCEGA1UEAwwac25zLnNhbmRib3guaGVyYWxkLmludmFsaWQxNTAzBgNV
BAoMLEhlcmFsZCBzYW5kYm94ICh0ZXN0IG1hdGVyaWFsLCBub3QgYSBzZWNyZXQp
MCAXDTI2MTEyMTA1NTAwMloYDzIxMjYxMDI4MDU1MDAyWjBcMSMwIQYDVQQDDBpz
bnMuc2FuZGJveC5oZXJhbGQuaW52YWxpZDE1MDMGA1UECgwsSGVyYWxkIHNhbmRi
b3ggKHRlc3QgbWF0ZXJpYWwsIG5vdCBhIHNlY3JldCkwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQC0tX0F01PcC0mLluLUeNUkBkNXoyEtSwg+Gfe/3lSD
ANjdoFtvTwBoLN1St1yvDQov6DQjpeD8nfCv1fIRvS9sVmGtBXebBXMPU2OAQLnc
pL9xCunpN8xbA6FuBEQcrpRzimsZ4Tlp77Ir/gX1r4SmHEKpXB25/hyXcmOlYF3U
N38FJyDEGXZA6iAIxf/8oEFdPXtDosMPzg4qCGT3S99kLlEna4TyqOmBYkJHbeR0
msf1W1bUoF044O8RsJVJfoydtNJYz2MLsju4te92UThZ1EL0Cw7UHboMyBnNehyM
ittnP84b+pHHYfRCSt7usB9X+PRdPUk+C4KihQwGONiNAgMBAAGjUzBRMB0GA1Ud
DgQWBBSQof0gZKJyJSKqOo0awXxIU6qGAjAfBgNVHSMEGDAWgBSQof0gZKJyJSKq
Oo0awXxIU6qGAjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQBz
vj3f/tFsGoR1ymjZkGYRGViqqb85VO/bLyKjgPqAyDkNnNhijDaIyXbf/xS9mcwm
AsgWN4ZyskrOC/Nl+wZewStGbaKHlIseKen9X7W3DIRv+94PuLd323tnwJ7rh7lf
e29zgYAFskCznED0s5XMMJKBC3XQ1gzdAbUa1HrXav6rs2y4Vxyo4vWh8KU0uC79
DYxK0YCnOpZWWmvCu8Km7Rci1hOmPfttoFzQw/MPs1CKY21RWms7sfUfQruqtPjM
IQNpITFK/yI/gwJWLm0uywKymoS3fjsMrpWtSMJD3HllEEfB3YtR+NrzrB24w12B
zQA4PH9XDkEP6VT4434G
-----END CERTIFICATE-----
`;
