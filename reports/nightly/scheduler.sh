#!/usr/bin/env bash
# Cloud Scheduler → Cloud Build: run reports/nightly/cloudbuild.yaml every night at 03:17 UTC.
# Assumes a Cloud Build trigger named mobius-gate-nightly on this repository with that config
# (gcloud builds triggers create manual --name=mobius-gate-nightly --build-config=reports/nightly/cloudbuild.yaml ...).
set -euo pipefail
PROJECT=${PROJECT:-mobiusos-new}           # where the build runs
REGION=${REGION:-us-central1}
SCHEDULER_SA=${SCHEDULER_SA:-mobius-gate-scheduler@${PROJECT}.iam.gserviceaccount.com}  # roles/cloudbuild.builds.editor

TRIGGER_ID=$(gcloud builds triggers describe mobius-gate-nightly --project="$PROJECT" --region="$REGION" --format='value(id)')
gcloud scheduler jobs create http mobius-gate-nightly \
  --project="$PROJECT" --location="$REGION" \
  --schedule="17 3 * * *" --time-zone="Etc/UTC" \
  --uri="https://cloudbuild.googleapis.com/v1/projects/${PROJECT}/locations/${REGION}/triggers/${TRIGGER_ID}:run" \
  --http-method=POST --message-body='{"branchName":"main"}' \
  --oauth-service-account-email="$SCHEDULER_SA"
