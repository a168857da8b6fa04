#!/bin/sh
# Run by docker-compose.yml's minio-init service (image minio/mc) with MinIO's
# root credentials, which no Ferry service gets: makes Ferry's buckets, and
# Ferry's own MinIO user with a policy that reaches those buckets only.
# Idempotent: every start re-applies the user's secret and the policy.
set -eu

mc alias set root http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

resources=""
for bucket in $FERRY_BUCKETS; do
  mc mb --ignore-existing "root/$bucket"
  resources="$resources${resources:+,}\"arn:aws:s3:::$bucket\",\"arn:aws:s3:::$bucket/*\""
done

# What Ferry does: objects and multipart uploads (ingest, uploads, exports),
# tags, and the bucket notifications that routes configure.
cat >/tmp/ferry-policy.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
        "s3:GetBucketNotification", "s3:PutBucketNotification",
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging",
        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"
      ],
      "Resource": [$resources]
    }
  ]
}
POLICY

mc admin user add root "$FERRY_S3_ACCESS_KEY" "$FERRY_S3_SECRET_KEY"
mc admin policy create root ferry /tmp/ferry-policy.json
# attach fails when the policy is attached already (a restart); then the user's info names it.
mc admin policy attach root ferry --user "$FERRY_S3_ACCESS_KEY" ||
  mc admin user info root "$FERRY_S3_ACCESS_KEY" | grep -q 'PolicyName: *ferry'
