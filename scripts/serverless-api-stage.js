'use strict';

// Serverless Framework v3 creates the REST API's stage through its deployment
// and patches logging and tracing into it after deploy, outside the template.
// This plugin hands the stage to the `ApiGatewayStage` resource of
// serverless.yml instead, so access logs, tracing and throttling are declared
// in the template, where reviewers and scanners see them; and it makes the
// deployment wait for every method, including those serverless.yml declares
// itself (the OPTIONS preflights), so none is missing from the first deployment.
class ApiStage {
  constructor(serverless) {
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        const deployments = Object.keys(resources).filter(
          (id) => resources[id].Type === 'AWS::ApiGateway::Deployment'
        );
        const stage = resources.ApiGatewayStage;
        if (deployments.length !== 1 || !stage) {
          throw new serverless.classes.Error(
            'serverless-api-stage: expected one API deployment and an ApiGatewayStage resource'
          );
        }
        const deployment = resources[deployments[0]];
        delete deployment.Properties.StageName;
        stage.Properties.DeploymentId = { Ref: deployments[0] };
        deployment.DependsOn = Object.keys(resources)
          .filter((id) => resources[id].Type === 'AWS::ApiGateway::Method')
          .sort();
      },
    };
  }
}

module.exports = ApiStage;
