"""The pipeline: generate -> load -> dbt build -> evidence on ECS Fargate, driven by Step Functions.

Every step runs the same image (infra/docker/Dockerfile) with `python -m
scripts.pipeline_step <step>`; each step has its own task definition so it runs with its
own role (Step Functions cannot override a task's role). The execution name is the run id:
`PIPELINE_RUN_ID` in every step's environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from common.defaults import DEFAULT_PATIENTS, DEFAULT_SEED
from healthlake_infra import layout
from healthlake_infra.nag import acknowledge

TASK_CPU = 1024
TASK_MEMORY_MIB = 4096
STEP_TIMEOUT = Duration.hours(1)
PIPELINE_TIMEOUT = Duration.hours(3)
# Step Functions' log events for a task that did not finish; each counts as a failed task.
TASK_FAILURE_EVENTS = ("TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed")
METRIC_NAMESPACE = "healthlake"


@dataclass(frozen=True)
class PipelineRoles:
    """The task role each step runs with."""

    steps: iam.IRole
    loader: iam.IRole
    dbt: iam.IRole


class Pipeline(Construct):
    """Image repository, cluster, task definitions, state machine, alerts and alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        image_tag: str,
        key: kms.IKey,
        log_retention: logs.RetentionDays,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        roles: PipelineRoles,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=f"{layout.PROJECT}-{stage}-pipeline",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            lifecycle_rules=[ecr.LifecycleRule(max_image_count=10, description="keep 10 images")],
            # scripts/cleanup deletes the images first.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.alerts = sns.Topic(
            self,
            "Alerts",
            display_name=f"healthlake {stage} pipeline alerts",
            master_key=key,
            enforce_ssl=True,
        )
        self.task_logs = logs.LogGroup(
            self,
            "TaskLogs",
            log_group_name=f"/{layout.PROJECT}/{stage}/pipeline",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine_logs = logs.LogGroup(
            self,
            "StateMachineLogs",
            # The vendedlogs prefix keeps Step Functions' log delivery policy small.
            log_group_name=f"/aws/vendedlogs/states/{layout.PROJECT}-{stage}-pipeline",
            retention=log_retention,
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        image = ecs.ContainerImage.from_ecr_repository(self.repository, image_tag)
        self.execution_role = self._execution_role(stage)
        env = {**environment, "HEALTHLAKE_STAGE": stage}
        self.task_definitions = {
            name: self._task_definition(name, image, role, env)
            for name, role in (("Steps", roles.steps), ("Load", roles.loader), ("Build", roles.dbt))
        }
        launch = tasks.EcsFargateLaunchTarget(platform_version=ecs.FargatePlatformVersion.LATEST)

        def step(name: str, task_definition: str, command_path: str) -> tasks.EcsRunTask:
            definition = self.task_definitions[task_definition]
            run = tasks.EcsRunTask(
                self,
                name,
                state_name=name,
                comment=f"python -m scripts.pipeline_step {name.lower()}",
                integration_pattern=sfn.IntegrationPattern.RUN_JOB,
                cluster=self.cluster,
                task_definition=definition,
                launch_target=launch,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                security_groups=[security_group],
                assign_public_ip=False,
                container_overrides=[
                    tasks.ContainerOverride(
                        container_definition=definition.default_container,
                        command=sfn.JsonPath.list_at(command_path),
                        environment=[
                            tasks.TaskEnvironmentVariable(
                                name="PIPELINE_RUN_ID",
                                value=sfn.JsonPath.string_at("$$.Execution.Name"),
                            )
                        ],
                    )
                ],
                task_timeout=sfn.Timeout.duration(STEP_TIMEOUT),
                # Keep the run's arguments for the next step; the task's own output is not needed.
                result_path=sfn.JsonPath.DISCARD,
            )
            # Capacity and throttling from ECS: retry patiently with backoff.
            run.add_retry(
                errors=["ECS.AmazonECSException", "ECS.ServerException"],
                interval=Duration.seconds(30),
                max_attempts=3,
                backoff_rate=2.0,
                jitter_strategy=sfn.JitterType.FULL,
            )
            # A failed container: once more after a pause (a transient Athena or S3 error);
            # every step is safe to repeat (loads are keyed by file, dbt rebuilds its tables).
            run.add_retry(
                errors=["States.TaskFailed"],
                interval=Duration.seconds(60),
                max_attempts=1,
                backoff_rate=2.0,
            )
            run.add_catch(notify_failure, errors=["States.ALL"], result_path="$.error")
            return run

        notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            state_name="NotifyFailure",
            topic=self.alerts,
            subject=f"healthlake {stage}: pipeline run failed",
            message=sfn.TaskInput.from_object(
                {
                    "stage": stage,
                    "pipeline_run_id": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                    "error": sfn.JsonPath.object_at("$.error"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        ).next(sfn.Fail(self, "Failed", error="PipelineFailed", cause="see the SNS alert"))

        # Defaults for patients and seed, overridden by the execution input; the commands are
        # built here so numbers given as JSON numbers still reach the container as strings.
        defaults = sfn.Pass(
            self,
            "Defaults",
            state_name="Defaults",
            result=sfn.Result.from_object({"patients": DEFAULT_PATIENTS, "seed": DEFAULT_SEED}),
            result_path="$.defaults",
        )
        arguments = sfn.Pass(
            self,
            "Arguments",
            state_name="Arguments",
            parameters={"args.$": "States.JsonMerge($.defaults, $$.Execution.Input, false)"},
        )
        patients_and_seed = "States.Format('{}', $.args.patients), States.Format('{}', $.args.seed)"
        commands = sfn.Pass(
            self,
            "Commands",
            state_name="Commands",
            parameters={
                "args.$": "$.args",
                "commands": {
                    "generate.$": f"States.Array('generate', {patients_and_seed})",
                    "load.$": "States.Array('load')",
                    "build.$": "States.Array('build')",
                    "evidence.$": f"States.Array('evidence', {patients_and_seed})",
                },
            },
        )
        definition = (
            defaults.next(arguments)
            .next(commands)
            .next(step("Generate", "Steps", "$.commands.generate"))
            .next(step("Load", "Load", "$.commands.load"))
            .next(step("Build", "Build", "$.commands.build"))
            .next(step("Evidence", "Steps", "$.commands.evidence"))
            .next(sfn.Succeed(self, "Done"))
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=f"{layout.PROJECT}-{stage}-pipeline",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=PIPELINE_TIMEOUT,
            tracing_enabled=True,
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(key),
            logs=sfn.LogOptions(
                destination=self.state_machine_logs,
                level=sfn.LogLevel.ALL,
                # Execution data would copy run inputs and errors into the logs; the events and
                # the SNS alert are enough to find a failure.
                include_execution_data=False,
            ),
        )
        acknowledge(
            self.state_machine,
            "HIPAA.Security-IAMNoInlinePolicy",
            "CDK derives the state machine role's policy from its states (ecs:RunTask on the three "
            "task definitions, iam:PassRole for their roles, the .sync EventBridge rule, "
            "sns:Publish, "
            "the key, log delivery, X-Ray); writing it by hand would let it drift from the states.",
        )
        self._alarms(stage)

    def _task_definition(
        self, name: str, image: ecs.ContainerImage, role: iam.IRole, env: dict[str, str]
    ) -> ecs.FargateTaskDefinition:
        definition = ecs.FargateTaskDefinition(
            self,
            f"{name}Task",
            cpu=TASK_CPU,
            memory_limit_mib=TASK_MEMORY_MIB,
            task_role=role,
            # CDK would grant the image pull and log writes through an inline policy.
            execution_role=self.execution_role.without_policy_updates(),
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        definition.add_volume(name="scratch")
        container = definition.add_container(
            "pipeline",
            image=image,
            essential=True,
            readonly_root_filesystem=True,
            environment=env,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix=name.lower(),
                log_group=self.task_logs,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
            ),
        )
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="scratch", read_only=False)
        )
        return definition

    def _execution_role(self, stage: str) -> iam.Role:
        """What ECS needs to start a step: pull the image, write the container's logs."""
        policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description=f"healthlake {stage}: pull the pipeline image, write its logs",
            statements=[
                iam.PolicyStatement(
                    sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]
                ),
                iam.PolicyStatement(
                    sid="PullPipelineImage",
                    actions=[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchGetImage",
                    ],
                    resources=[self.repository.repository_arn],
                ),
                iam.PolicyStatement(
                    sid="WriteTaskLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.task_logs.log_group_arn],
                ),
            ],
        )
        return iam.Role(
            self,
            "ExecutionRole",
            description=f"healthlake {stage}: ECS task execution role of the pipeline steps",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            managed_policies=[policy],
        )

    def _alarms(self, stage: str) -> None:
        action = cloudwatch_actions.SnsAction(self.alerts)
        failed_tasks = logs.MetricFilter(
            self,
            "FailedTasks",
            log_group=self.state_machine_logs,
            metric_namespace=METRIC_NAMESPACE,
            metric_name=f"{stage}-pipeline-failed-tasks",
            filter_pattern=logs.FilterPattern.any(
                *(
                    logs.FilterPattern.string_value("$.type", "=", event)
                    for event in TASK_FAILURE_EVENTS
                )
            ),
            metric_value="1",
            default_value=0,
        ).metric(statistic="Sum", period=Duration.minutes(5))
        metrics = {
            "FailedExecutions": self.state_machine.metric_failed(period=Duration.minutes(5)),
            "TimedOutExecutions": self.state_machine.metric_timed_out(period=Duration.minutes(5)),
            "AbortedExecutions": self.state_machine.metric_aborted(period=Duration.minutes(5)),
            "FailedTasks": failed_tasks,
        }
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, metric in metrics.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                alarm_description=f"healthlake {stage}: {name} in the pipeline",
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.alarms[name] = alarm
