// Renders a preview frame of an uploaded video: a message names the object and the second to grab.
// ffmpeg gets an argument array (no shell), and the second is checked to be a number first.
import { execFileSync } from "node:child_process";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const s3 = new S3Client({});
const SECONDS = /^\d{1,5}(\.\d{1,3})?$/;

export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    const { key, seconds } = JSON.parse(record.body);
    if (typeof key !== "string" || !SECONDS.test(String(seconds))) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const video = await s3.send(new GetObjectCommand({ Bucket: process.env.UPLOADS_BUCKET, Key: key }));
    const input = Buffer.from(await video.Body.transformToByteArray());
    const frame = execFileSync("ffmpeg", ["-ss", String(seconds), "-i", "pipe:0", "-frames:v", "1", "-f", "image2",
      "pipe:1"], { input });
    await s3.send(new PutObjectCommand({ Bucket: process.env.THUMBNAIL_BUCKET, Key: `${key}.png`, Body: frame }));
  }
  return { batchItemFailures };
};
