"""The VPC the functions and session hosts run in.

Two AZs, public and private subnets, one NAT gateway (the hosts' way to WhatsApp's servers and
the webhooks' way to customers), and VPC endpoints so that AWS calls never need the NAT: gateway
endpoints (free) for DynamoDB and S3 (also ECR's image layers), interface endpoints for SQS,
Secrets Manager, CloudWatch Logs and ECR (API and registry). Flow logs go to the access-log
bucket.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

CIDR = "10.40.0.0/16"
PRIVATE = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
# What a function in the VPC does with its network interfaces (EC2 has no resource-level
# permissions for these).
VPC_FUNCTION_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
INTERFACE_ENDPOINTS = {
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
}


def build_vpc(stack: Stack, flow_logs: s3.IBucket) -> ec2.Vpc:
    vpc = ec2.Vpc(
        stack, "Vpc",
        ip_addresses=ec2.IpAddresses.cidr(CIDR),
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC,
                                    cidr_mask=24),
            ec2.SubnetConfiguration(name="private",
                                    subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                                    cidr_mask=20),
        ],
        gateway_endpoints={
            "DynamoDb": ec2.GatewayVpcEndpointOptions(
                service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
        },
        flow_logs={"All": ec2.FlowLogOptions(
            destination=ec2.FlowLogDestination.to_s3(flow_logs, "vpc-flow-logs/"),
            traffic_type=ec2.FlowLogTrafficType.ALL)},
        # True adds a custom-resource Lambda that strips the default SG's rules; nothing here
        # uses the default SG.
        restrict_default_security_group=False,
    )
    endpoints_sg = ec2.SecurityGroup(
        stack, "EndpointSecurityGroup", vpc=vpc, allow_all_outbound=False,
        description="AWS interface endpoints: HTTPS from inside the VPC only")
    endpoints_sg.add_ingress_rule(ec2.Peer.ipv4(CIDR), ec2.Port.tcp(443),
                                  "HTTPS from the functions and session hosts")
    for name, service in INTERFACE_ENDPOINTS.items():
        vpc.add_interface_endpoint(name, service=service, subnets=PRIVATE,
                                   security_groups=[endpoints_sg], private_dns_enabled=True,
                                   open=False)  # the group above already lets the VPC in
    return vpc
