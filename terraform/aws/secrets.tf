# The container only: Terraform never sees the value (it would sit in the state file in clear text).
# `python -m strava auth` with STRAVA_SECRETS=awssecrets:NAME stores the first value; each run writes a
# rotated refresh token with PutSecretValue (AWSCURRENT / AWSPREVIOUS, nothing else accumulates).
resource "aws_secretsmanager_secret" "strava" {
  #checkov:skip=CKV_AWS_149:The AWS managed key encrypts the secret at rest; a customer managed key would cost $1 a month and protect one personal OAuth token no better.
  #checkov:skip=CKV2_AWS_57:Strava rotates the refresh token itself and the sync writes each new one; a rotation Lambda would race with the sync's own write.
  name                    = var.secret_name
  description             = "Strava OAuth app credentials and refresh token as JSON {client_id, client_secret, refresh_token}; written by `strava auth` and by each sync."
  recovery_window_in_days = 7
}
