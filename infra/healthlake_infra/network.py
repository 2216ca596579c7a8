"""An isolated VPC (no internet, no NAT) whose only ways out are VPC endpoints."""

from __future__ import annotations

from aws_cdk import CfnParameter, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from healthlake_infra.nag import acknowledge

# What the pipeline container calls: Glue and Athena (load, dbt), STS (boto3's credential
# chain), ECR and CloudWatch Logs (Fargate pulls the image and ships the container's logs).
# S3 goes through the gateway endpoint. Step Functions drives ECS from outside the VPC, so it
# needs no endpoint.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "Glue": ec2.InterfaceVpcEndpointAwsService.GLUE,
    "Athena": ec2.InterfaceVpcEndpointAwsService.ATHENA,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
}


class Network(Construct):
    """Two isolated subnets, flow logs, endpoints, and the pipeline's security group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        log_retention: logs.RetentionDays,
        s3_prefix_list_id: CfnParameter,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/20"),
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="pipeline", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
            # CDK restricts the default group through a custom-resource Lambda; nothing uses
            # that group here, so the stack stays free of functions instead.
            restrict_default_security_group=False,
        )
        acknowledge(
            self.vpc,
            "HIPAA.Security-VPCDefaultSecurityGroupClosed",
            "Nothing is attached to the VPC's default security group (tasks and endpoints have "
            "their own groups with explicit rules) and no subnet routes out of the VPC; closing "
            "it would take a custom-resource Lambda that this stack otherwise does without.",
        )
        self.flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        flow_log_policy = iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            description="healthlake: deliver VPC flow logs to their log group",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[self.flow_logs.log_group_arn],
                )
            ],
        )
        flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            description="healthlake: VPC flow log delivery",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            managed_policies=[flow_log_policy],
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                # CDK would add an inline policy to the role; the managed one above suffices.
                self.flow_logs,
                flow_log_role.without_policy_updates(),
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)

        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="healthlake VPC interface endpoints: HTTPS from the pipeline tasks only",
            allow_all_outbound=False,
        )
        self.task_security_group = ec2.SecurityGroup(
            self,
            "TaskSecurityGroup",
            vpc=self.vpc,
            description="healthlake pipeline tasks: HTTPS to the VPC endpoints and S3 only",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(
            self.task_security_group, ec2.Port.tcp(443), "HTTPS from the pipeline tasks"
        )
        # The egress rules are written inline on the group: EC2 gives a new group an allow-all
        # egress rule and only drops it for rules in the group's own SecurityGroupEgress list,
        # while CDK would put rules to another group or a prefix list in separate resources.
        # The S3 gateway endpoint is reached through the region's managed prefix list; its id
        # differs per region, so `just deploy` looks it up and passes it as a parameter.
        task_group = self.task_security_group.node.default_child
        assert isinstance(task_group, ec2.CfnSecurityGroup)
        task_group.add_property_override(
            "SecurityGroupEgress",
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "DestinationSecurityGroupId": self.endpoint_security_group.security_group_id,
                    "Description": "HTTPS to the interface endpoints",
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "DestinationPrefixListId": s3_prefix_list_id.value_as_string,
                    "Description": "HTTPS to S3 through the gateway endpoint",
                },
            ],
        )
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for name, service in INTERFACE_ENDPOINTS.items():
            self.interface_endpoints[name] = self.vpc.add_interface_endpoint(
                name,
                service=service,
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                open=False,
            )
