"""In-process answers to AWS API calls for the local runtime (development only, never shipped).

`routing` puts answers under real boto3 clients; `moto_direct` answers SQS and SES v2 from moto's
backend models; `dynamodb` is an in-memory DynamoDB (`DynamoDBEngine`) that replaces moto's.
"""
