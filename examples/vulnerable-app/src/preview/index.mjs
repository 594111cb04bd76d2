// Renders a preview frame of an uploaded video: a message names the object and the second to grab.
import { execSync } from "node:child_process";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const s3 = new S3Client({});

export const handler = async (event) => {
  for (const record of event.Records) {
    const { key, seconds } = JSON.parse(record.body);
    const video = await s3.send(new GetObjectCommand({ Bucket: process.env.UPLOADS_BUCKET, Key: key }));
    const input = Buffer.from(await video.Body.transformToByteArray());
    const frame = execSync(`ffmpeg -ss ${seconds} -i pipe:0 -frames:v 1 -f image2 pipe:1`, { input });
    await s3.send(new PutObjectCommand({ Bucket: process.env.THUMBNAIL_BUCKET, Key: `${key}.png`, Body: frame }));
  }
  return { batchItemFailures: [] };
};
