import Testing
@testable import ModelFetch
@testable import ModelSource

@Suite struct S3LocationParsing {
    @Test(arguments: [
        ("models/resnet/model.onnx", "models", "resnet/model.onnx", false),
        ("models/resnet/", "models", "resnet/", true),
        ("my.bucket-1/a b/c.onnx", "my.bucket-1", "a b/c.onnx", false),
    ])
    func acceptsObjectsAndPrefixes(rest: String, bucket: String, key: String, prefix: Bool) throws {
        let location = try S3Location.parse(afterScheme: rest).get()
        #expect(location.bucket == bucket)
        #expect(location.key == key)
        #expect(location.isPrefix == prefix)
        #expect(location.description == "s3://" + rest)
    }

    @Test(arguments: [
        ("models", "names no object"),
        ("models/", "names no object"),
        ("Models/x.onnx", "lowercase"),
        ("ab/x.onnx", "3-63"),
        ("-ab/x.onnx", "start and end"),
        ("models/a/../b.onnx", "'..'"),
        ("models//b.onnx", "start with '/'"),
        ("models/a//b.onnx", "empty path segment"),
        ("models/a//", "empty path segment"),
    ])
    func rejectsWithAReason(rest: String, reason: String) {
        guard case .failure(let error) = S3Location.parse(afterScheme: rest) else {
            Issue.record("accepted s3://\(rest)")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
    }
}

@Suite struct HuggingFaceLocationParsing {
    @Test func defaultsToModelOnnxOnMain() throws {
        let location = try HuggingFaceLocation.parse(afterScheme: "org/repo").get()
        #expect(location == HuggingFaceLocation(organization: "org", repository: "repo", path: "model.onnx", revision: "main"))
        #expect(location.resolveURL(endpoint: "https://huggingface.co/") == "https://huggingface.co/org/repo/resolve/main/model.onnx")
    }

    @Test func readsPathAndRevisionAndEncodesASlashInTheRevision() throws {
        let location = try HuggingFaceLocation.parse(afterScheme: "org/repo/onnx/model quantized.onnx@refs/pr/1").get()
        #expect(location.path == "onnx/model quantized.onnx")
        #expect(location.revision == "refs/pr/1")
        #expect(location.resolveURL(endpoint: "http://mirror:8080")
            == "http://mirror:8080/org/repo/resolve/refs%2Fpr%2F1/onnx/model%20quantized.onnx")
    }

    @Test(arguments: [
        ("org", "names no repository"),
        ("org/repo@", "empty revision"),
        ("org/repo/", "ends in '/'"),
        ("org/repo/onnx/", "folder"),
        ("org/re po", "not a Hub"),
        ("org/repo/../x.onnx", "'..'"),
    ])
    func rejectsWithAReason(rest: String, reason: String) {
        guard case .failure(let error) = HuggingFaceLocation.parse(afterScheme: rest) else {
            Issue.record("accepted hf://\(rest)")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
    }
}

@Suite struct S3AddressingRules {
    @Test func awsIsVirtualHostedInItsRegion() throws {
        let aws = try S3Addressing(endpoint: nil, region: "eu-west-1", pathStyle: nil)
        #expect(aws.objectURL(bucket: "models", key: "a b/m+1.onnx") == "https://models.s3.eu-west-1.amazonaws.com/a%20b/m%2B1.onnx")
        // A dotted bucket would not match the wildcard certificate.
        #expect(aws.objectURL(bucket: "my.models", key: "m.onnx") == "https://s3.eu-west-1.amazonaws.com/my.models/m.onnx")
    }

    @Test func anEndpointIsPathStyleUnlessToldOtherwise() throws {
        let minio = try S3Addressing(endpoint: "http://minio.storage:9000/", region: nil, pathStyle: nil)
        #expect(minio.region == "us-east-1")
        #expect(minio.objectURL(bucket: "models", key: "m.onnx") == "http://minio.storage:9000/models/m.onnx")
        let virtual = try S3Addressing(endpoint: "https://storage.example", region: "x1", pathStyle: false)
        #expect(virtual.objectURL(bucket: "models", key: "m.onnx") == "https://models.storage.example/m.onnx")
    }

    @Test func listingQueryIsCanonical() throws {
        let minio = try S3Addressing(endpoint: "http://127.0.0.1:9000", region: nil, pathStyle: true)
        #expect(minio.listURL(bucket: "models", prefix: "a b/", continuationToken: "t/1=")
            == "http://127.0.0.1:9000/models/?continuation-token=t%2F1%3D&list-type=2&prefix=a%20b%2F")
    }

    @Test(arguments: ["ftp://x", "http://user:pw@host", "http://host?x=1", "host:9000"])
    func rejectsUnusableEndpoints(endpoint: String) {
        #expect(throws: StorageSettingsError.self) { try S3Addressing(endpoint: endpoint, region: nil, pathStyle: nil) }
    }

    @Test func credentialsComeInPairsAndNeverShow() throws {
        #expect(try StorageEnvironment.s3Credentials([:]) == nil)
        #expect(throws: StorageSettingsError.self) { try StorageEnvironment.s3Credentials(["AWS_ACCESS_KEY_ID": "AKID"]) }
        let credentials = try #require(try StorageEnvironment.s3Credentials(
            ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "AWS_SESSION_TOKEN": "tok"]))
        #expect(credentials.sessionToken == "tok")
        #expect(!"\(credentials)".contains("s3cr3t") && !"\(credentials)".contains("AKID"))
    }
}

@Suite struct S3ResponseParsing {
    @Test func readsAListingPage() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>models</Name><Prefix>p/</Prefix>
            <Contents><Key>p/a&amp;b.onnx</Key><ETag>&quot;5eb63bbbe01eeed093cb22bb8f5acdc3&quot;</ETag><Size>11</Size></Contents>
            <Contents><Key>p/big.bin</Key><ETag>"abc-3"</ETag><Size>
              123456789012</Size><StorageClass>STANDARD</StorageClass></Contents>
            <IsTruncated>true</IsTruncated><NextContinuationToken>next&#x2F;1</NextContinuationToken></ListBucketResult>
            """
        let listing = try S3Listing.parse(xml)
        #expect(listing.objects.map(\.key) == ["p/a&b.onnx", "p/big.bin"])
        #expect(listing.objects.map(\.size) == [11, 123_456_789_012])
        #expect(listing.isTruncated)
        #expect(listing.nextContinuationToken == "next/1")
        #expect(ContentCheck.md5(fromS3ETag: listing.objects[0].etag) == .md5("5eb63bbbe01eeed093cb22bb8f5acdc3"))
        #expect(ContentCheck.md5(fromS3ETag: listing.objects[1].etag) == nil)
    }

    @Test(arguments: [
        "<Error><Code>AccessDenied</Code></Error>",
        "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "",
    ])
    func rejectsWhatIsNoUsableListing(xml: String) {
        #expect(throws: S3ResponseError.self) { try S3Listing.parse(xml) }
    }

    @Test func errorBodiesShowCodeAndMessageOnly() throws {
        let body = try #require(S3ErrorBody.parse(
            "<Error><Code>SignatureDoesNotMatch</Code><Message>check your key</Message><StringToSign>AWS4 secret-ish</StringToSign></Error>"))
        #expect(body == S3ErrorBody(code: "SignatureDoesNotMatch", message: "check your key"))
    }

    @Test(arguments: [
        ("\"d41d8cd98f00b204e9800998ecf8427e\"", true), ("W/\"d41d8cd98f00b204e9800998ecf8427e\"", false),
        ("\"d41d8cd98f00b204e9800998ecf8427e-2\"", false), ("\"xyz\"", false),
    ])
    func onlyPlainETagsAreMD5s(etag: String, isMD5: Bool) {
        #expect((ContentCheck.md5(fromS3ETag: etag) != nil) == isMD5)
    }

    @Test(arguments: [(nil, nil, true), ("AES256", nil, true), ("aws:kms", nil, false), ("aws:kms:dsse", nil, false), (nil, "AES256", false)]
          as [(String?, String?, Bool)])
    func encryptedObjectsETagsAreNoMD5s(serverSideEncryption: String?, customerAlgorithm: String?, isMD5: Bool) {
        #expect(ContentCheck.s3ETagIsMD5(serverSideEncryption: serverSideEncryption, customerAlgorithm: customerAlgorithm) == isMD5)
    }
}

@Suite struct PrefixLayoutRules {
    func object(_ key: String) -> S3Listing.Object { S3Listing.Object(key: key, size: 1, etag: nil) }

    @Test func keepsTheLayoutAndPutsTheModelLast() throws {
        let plan = try PrefixLayout.plan(
            prefix: "m/", objects: [object("m/"), object("m/model.onnx"), object("m/model.onnx.data"), object("m/sub/x.bin")],
            modelFileName: "model.onnx", source: "s3://b/m/")
        #expect(plan.map(\.localPath) == ["model.onnx.data", "sub/x.bin", "model.onnx"])
    }

    @Test func theOnlyTopLevelOnnxFileIsTheModel() throws {
        let plan = try PrefixLayout.plan(prefix: "m/", objects: [object("m/bert.onnx"), object("m/bert.onnx.data")],
                                         modelFileName: "model.onnx", source: "s3://b/m/")
        #expect(plan.last == PrefixLayout.File(object: object("m/bert.onnx"), localPath: "model.onnx"))
    }

    @Test(arguments: [
        (["m/a.onnx", "m/b.onnx"], "several .onnx objects"),
        (["m/weights.bin"], "no .onnx object"),
        ([String](), "no objects under the prefix"),
        (["m/model.onnx", "m/../escape.bin"], "'..'"),
    ])
    func refusesAmbiguousOrUnsafeLayouts(keys: [String], reason: String) {
        do {
            _ = try PrefixLayout.plan(prefix: "m/", objects: keys.map(object), modelFileName: "model.onnx", source: "s3://b/m/")
            Issue.record("accepted \(keys)")
        } catch {
            #expect("\(error)".contains(reason), "\(error)")
            #expect("\(error)".contains("s3://b/m/"))
        }
    }
}

@Suite struct Redactions {
    @Test func urlsLoseUserInfoAndQuery() {
        #expect(Redaction.url("https://user:pw@host:1/p/m.onnx?X-Amz-Signature=abc") == "https://host:1/p/m.onnx?...")
        #expect(Redaction.url("http://host/m.onnx") == "http://host/m.onnx")
    }

    @Test func contentRangesParse() {
        #expect(ContentRange.start("bytes 100-199/200") == 100)
        #expect(ContentRange.total("bytes 100-199/200") == 200)
        #expect(ContentRange.total("bytes 100-199/*") == nil)
        #expect(ContentRange.start("items 1-2/3") == nil)
    }
}

/// EKS IRSA / OIDC federation: settings from the environment, the STS request, its answer.
@Suite struct WebIdentityRules {
    static let role = "arn:aws:iam::123456789012:role/model-reader"

    @Test func settingsNeedBothTheRoleAndTheTokenFile() throws {
        #expect(try WebIdentitySettings.from([:]) == nil)
        let settings = try #require(try WebIdentitySettings.from(["AWS_ROLE_ARN": Self.role, "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
                                                                 "AWS_REGION": "eu-west-1"]))
        #expect(settings.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(settings.sessionName == WebIdentitySettings.defaultSessionName)
        #expect(throws: StorageSettingsError.self) { try WebIdentitySettings.from(["AWS_ROLE_ARN": Self.role]) }
        #expect(throws: StorageSettingsError.self) { try WebIdentitySettings.from(["AWS_WEB_IDENTITY_TOKEN_FILE": "/t"]) }
        #expect(throws: StorageSettingsError.self) { try WebIdentitySettings.from(["AWS_ROLE_ARN": "model-reader", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"]) }
        #expect(throws: StorageSettingsError.self) {
            try WebIdentitySettings.from(["AWS_ROLE_ARN": Self.role, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_SESSION_NAME": "x"])
        }
    }

    /// AWS_ENDPOINT_URL_STS first, then an S3-compatible store's own endpoint, then AWS in the region.
    @Test(arguments: [
        (["AWS_ENDPOINT_URL_STS": "https://sts.internal:8443"], "https://sts.internal:8443/"),
        (["MODEL_STORAGE_ENDPOINT": "http://minio.storage:9000"], "http://minio.storage:9000/"),
        (["AWS_ENDPOINT_URL_STS": "https://sts.internal", "MODEL_STORAGE_ENDPOINT": "http://minio:9000"], "https://sts.internal/"),
        ([:], "https://sts.us-east-1.amazonaws.com/"),
    ])
    func theSTSEndpoint(extra: [String: String], url: String) throws {
        let environment = extra.merging(["AWS_ROLE_ARN": Self.role, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"]) { $1 }
        #expect(try WebIdentitySettings.from(environment)?.url == url)
    }

    @Test func theRequestIsAFormWithTheTokenEncoded() throws {
        let settings = try #require(try WebIdentitySettings.from(["AWS_ROLE_ARN": Self.role, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"]))
        #expect(settings.requestBody(token: "a.b+c/d=") ==
                "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fmodel-reader"
                + "&RoleSessionName=inference-server-model-fetch&WebIdentityToken=a.b%2Bc%2Fd%3D")
        #expect(!settings.description.contains("a.b+c"), "the settings never show a token")
    }

    @Test func theAnswerGivesTemporaryCredentialsOrTheSTSError() throws {
        let answer = """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <Credentials>
                  <SessionToken>FwoGZXIvYXdzE&amp;token</SessionToken>
                  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>
                  <Expiration>2026-12-07T05:00:00Z</Expiration>
                  <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
                </Credentials>
                <SubjectFromWebIdentityToken>system:serviceaccount:ml:model-reader</SubjectFromWebIdentityToken>
              </AssumeRoleWithWebIdentityResult>
            </AssumeRoleWithWebIdentityResponse>
            """
        let credentials = try WebIdentitySettings.credentials(fromResponse: answer)
        #expect(credentials == S3Credentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG", sessionToken: "FwoGZXIvYXdzE&token"))
        let refused = """
            <ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token audience mismatch</Message></Error></ErrorResponse>
            """
        #expect(throws: S3ResponseError("STS refused AssumeRoleWithWebIdentity: InvalidIdentityToken: Token audience mismatch")) {
            try WebIdentitySettings.credentials(fromResponse: refused)
        }
        #expect(throws: S3ResponseError.self) { try WebIdentitySettings.credentials(fromResponse: "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>") }
    }
}

@Suite struct PlatformCredentialRules {
    @Test func containerCredentialsComeFromEitherURIWithItsToken() throws {
        #expect(try ContainerCredentialsSettings.from([:]) == nil)
        let pod = try #require(try ContainerCredentialsSettings.from([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
        ]))
        #expect(pod.url == "http://169.254.170.23/v1/credentials")
        #expect(pod.authorization == .file("/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"))
        let ecs = try #require(try ContainerCredentialsSettings.from(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]))
        #expect(ecs.url == "http://169.254.170.2/v2/credentials/abc" && ecs.authorization == nil)
        let token = try #require(try ContainerCredentialsSettings.from([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://creds.example.com/x", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
        ]))
        #expect(token.authorization == .value("t"))
    }

    @Test(arguments: ["http://creds.example.com/x", "http://10.0.0.1/creds", "ftp://127.0.0.1/x"])
    func plainHTTPOnlyToLoopbackOrTheAgents(_ uri: String) {
        #expect(throws: StorageSettingsError.self) { try ContainerCredentialsSettings.from(["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri]) }
    }

    @Test func instanceMetadataIsOnUnlessDisabled() throws {
        let metadata = try #require(try InstanceMetadataSettings.from([:]))
        #expect(metadata.tokenURL == "http://169.254.169.254/latest/api/token")
        #expect(metadata.roleURL("model reader") == "http://169.254.169.254/latest/meta-data/iam/security-credentials/model%20reader")
        #expect(try InstanceMetadataSettings.from(["AWS_EC2_METADATA_DISABLED": "TRUE"]) == nil)
        #expect(try InstanceMetadataSettings.from(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8111/"])?.rolesURL
            == "http://127.0.0.1:8111/latest/meta-data/iam/security-credentials/")
        #expect(InstanceMetadataSettings.role(fromListing: "\n  model-reader  \nother\n") == "model-reader")
        #expect(InstanceMetadataSettings.role(fromListing: " \n") == nil)
    }

    @Test func theAnswersGiveTemporaryCredentialsOrTheirError() throws {
        let imds = #"{"Code" : "Success", "LastUpdated" : "2026-01-01T00:00:00Z", "Type" : "AWS-HMAC", "AccessKeyId" : "ASIAX", "SecretAccessKey" : "s\/e\"c", "Token" : "tok\u0041", "Expiration" : "2026-01-01T06:00:00Z"}"#
        #expect(try TemporaryCredentialsJSON.credentials(from: imds)
            == S3Credentials(accessKeyID: "ASIAX", secretAccessKey: "s/e\"c", sessionToken: "tokA"))
        let pod = #"{"AccessKeyId":"ASIAY","SecretAccessKey":"k","Token":"t","AccountId":"123456789012","Expiration":"x","Nested":{"a":[1,{"b":"}"}]},"N":5}"#
        #expect(try TemporaryCredentialsJSON.credentials(from: pod).accessKeyID == "ASIAY")
        #expect(throws: S3ResponseError.self) { try TemporaryCredentialsJSON.credentials(from: #"{"Code": "AssumeRoleUnauthorizedAccess", "Message": "no"}"#) }
        #expect(throws: S3ResponseError.self) { try TemporaryCredentialsJSON.credentials(from: #"{"AccessKeyId": "A"}"#) }
        #expect(throws: S3ResponseError.self) { try TemporaryCredentialsJSON.credentials(from: "<html>") }
    }
}
