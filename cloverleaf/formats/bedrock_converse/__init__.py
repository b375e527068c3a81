"""Amazon Bedrock Converse / ConverseStream: JSON bodies and the AWS binary event-stream."""
