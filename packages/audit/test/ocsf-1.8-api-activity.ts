// OCSF 1.8.0's API Activity class (6003) and the objects it uses, reduced to what the test checks:
// attribute names, requirement levels, profiles, types, enum ids with their captions, constraints.
// Written for this test from the OCSF 1.8.0 schema (schema.ocsf.io); no schema file is shipped.
// biome-ignore-all format: a data table, kept one attribute per line.
export const OCSF_1_8 = {
 "version": "1.8.0",
 "categoryUid": 6,
 "classUid": 6003,
 "class": {
  "attributes": {
   "api": {
    "requirement": "required",
    "profile": null
   },
   "cloud": {
    "requirement": "required",
    "profile": "cloud"
   },
   "actor": {
    "requirement": "required",
    "profile": null
   },
   "device": {
    "requirement": "recommended",
    "profile": "host"
   },
   "osint": {
    "requirement": "required",
    "profile": "osint"
   },
   "action": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "action_id": {
    "requirement": "recommended",
    "enum": {
     "0": {
      "caption": "Unknown"
     },
     "1": {
      "caption": "Allowed"
     },
     "2": {
      "caption": "Denied"
     },
     "3": {
      "caption": "Observed"
     },
     "4": {
      "caption": "Modified"
     },
     "99": {
      "caption": "Other"
     }
    },
    "profile": "security_control"
   },
   "attacks": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "authorizations": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "confidence": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "confidence_id": {
    "requirement": "recommended",
    "profile": "security_control"
   },
   "confidence_score": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "disposition": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "disposition_id": {
    "requirement": "recommended",
    "profile": "security_control"
   },
   "firewall_rule": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "is_alert": {
    "requirement": "recommended",
    "profile": "security_control"
   },
   "malware": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "malware_scan_info": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "policy": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "risk_details": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "risk_level": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "risk_level_id": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "risk_score": {
    "requirement": "optional",
    "profile": "security_control"
   },
   "activity_id": {
    "requirement": "required",
    "enum": {
     "0": {
      "caption": "Unknown"
     },
     "1": {
      "caption": "Create"
     },
     "2": {
      "caption": "Read"
     },
     "3": {
      "caption": "Update"
     },
     "4": {
      "caption": "Delete"
     },
     "99": {
      "caption": "Other"
     }
    }
   },
   "activity_name": {
    "requirement": "optional"
   },
   "category_name": {
    "requirement": "optional"
   },
   "category_uid": {
    "requirement": "required",
    "enum": {
     "0": {
      "caption": "Uncategorized"
     }
    }
   },
   "class_name": {
    "requirement": "optional"
   },
   "class_uid": {
    "requirement": "required",
    "enum": {
     "0": {
      "caption": "Base Event"
     }
    }
   },
   "count": {
    "requirement": "optional"
   },
   "duration": {
    "requirement": "optional"
   },
   "end_time": {
    "requirement": "optional"
   },
   "enrichments": {
    "requirement": "optional"
   },
   "message": {
    "requirement": "recommended"
   },
   "metadata": {
    "requirement": "required"
   },
   "observables": {
    "requirement": "recommended"
   },
   "raw_data": {
    "requirement": "optional"
   },
   "raw_data_hash": {
    "requirement": "optional"
   },
   "raw_data_size": {
    "requirement": "optional"
   },
   "severity": {
    "requirement": "optional"
   },
   "severity_id": {
    "requirement": "required"
   },
   "start_time": {
    "requirement": "optional"
   },
   "status": {
    "requirement": "recommended"
   },
   "status_code": {
    "requirement": "recommended"
   },
   "status_detail": {
    "requirement": "recommended"
   },
   "status_id": {
    "requirement": "recommended"
   },
   "time": {
    "requirement": "required"
   },
   "timezone_offset": {
    "requirement": "recommended"
   },
   "type_name": {
    "requirement": "optional"
   },
   "type_uid": {
    "requirement": "required"
   },
   "unmapped": {
    "requirement": "optional"
   },
   "trace": {
    "requirement": "recommended",
    "profile": "trace"
   },
   "ai_model": {
    "requirement": "recommended",
    "profile": "ai_operation"
   },
   "message_context": {
    "requirement": "optional",
    "profile": "ai_operation"
   },
   "dst_endpoint": {
    "requirement": "recommended"
   },
   "http_request": {
    "requirement": "recommended"
   },
   "http_response": {
    "requirement": "recommended"
   },
   "resources": {
    "requirement": "recommended"
   },
   "src_endpoint": {
    "requirement": "required"
   }
  },
  "constraints": {}
 },
 "objects": {
  "actor": {
   "attributes": {
    "app_name": {
     "requirement": "optional"
    },
    "app_uid": {
     "requirement": "optional"
    },
    "authorizations": {
     "requirement": "optional"
    },
    "idp": {
     "requirement": "optional"
    },
    "invoked_by": {
     "requirement": "optional"
    },
    "process": {
     "requirement": "recommended"
    },
    "session": {
     "requirement": "optional"
    },
    "user": {
     "requirement": "recommended"
    }
   },
   "constraints": {
    "at_least_one": [
     "process",
     "user",
     "invoked_by",
     "session",
     "app_name",
     "app_uid"
    ]
   }
  },
  "user": {
   "attributes": {
    "name": {
     "requirement": "recommended",
     "type": "username_t"
    },
    "uid": {
     "requirement": "recommended"
    },
    "account": {
     "requirement": "optional"
    },
    "credential_uid": {
     "requirement": "optional"
    },
    "display_name": {
     "requirement": "optional"
    },
    "domain": {
     "requirement": "optional"
    },
    "email_addr": {
     "requirement": "optional"
    },
    "forward_addr": {
     "requirement": "optional"
    },
    "full_name": {
     "requirement": "optional"
    },
    "groups": {
     "requirement": "optional"
    },
    "has_mfa": {
     "requirement": "recommended"
    },
    "ldap_person": {
     "requirement": "optional"
    },
    "org": {
     "requirement": "optional"
    },
    "phone_number": {
     "requirement": "optional"
    },
    "programmatic_credentials": {
     "requirement": "optional"
    },
    "risk_level": {
     "requirement": "optional"
    },
    "risk_level_id": {
     "requirement": "optional"
    },
    "risk_score": {
     "requirement": "optional"
    },
    "type": {
     "requirement": "optional"
    },
    "type_id": {
     "requirement": "recommended",
     "enum": {
      "0": {
       "caption": "Unknown"
      },
      "1": {
       "caption": "User"
      },
      "2": {
       "caption": "Admin"
      },
      "3": {
       "caption": "System"
      },
      "4": {
       "caption": "Service"
      },
      "99": {
       "caption": "Other"
      }
     }
    },
    "uid_alt": {
     "requirement": "optional"
    }
   },
   "constraints": {
    "at_least_one": [
     "account",
     "name",
     "uid"
    ]
   }
  },
  "session": {
   "attributes": {
    "count": {
     "requirement": "optional"
    },
    "created_time": {
     "requirement": "recommended"
    },
    "credential_uid": {
     "requirement": "optional"
    },
    "expiration_reason": {
     "requirement": "optional"
    },
    "expiration_time": {
     "requirement": "optional"
    },
    "is_mfa": {
     "requirement": "optional"
    },
    "is_remote": {
     "requirement": "recommended"
    },
    "is_vpn": {
     "requirement": "optional"
    },
    "issuer": {
     "requirement": "recommended"
    },
    "terminal": {
     "requirement": "optional"
    },
    "uid": {
     "requirement": "recommended"
    },
    "uid_alt": {
     "requirement": "optional"
    },
    "uuid": {
     "requirement": "optional"
    }
   },
   "constraints": {}
  },
  "api": {
   "attributes": {
    "group": {
     "requirement": "optional"
    },
    "operation": {
     "requirement": "required"
    },
    "request": {
     "requirement": "recommended"
    },
    "response": {
     "requirement": "recommended"
    },
    "service": {
     "requirement": "optional"
    },
    "token": {
     "requirement": "optional"
    },
    "version": {
     "requirement": "optional"
    }
   },
   "constraints": {}
  },
  "request": {
   "attributes": {
    "containers": {
     "requirement": "optional"
    },
    "data": {
     "requirement": "optional"
    },
    "flags": {
     "requirement": "optional"
    },
    "uid": {
     "requirement": "required"
    }
   },
   "constraints": {}
  },
  "service": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended"
    },
    "labels": {
     "requirement": "optional"
    },
    "tags": {
     "requirement": "optional"
    },
    "version": {
     "requirement": "recommended"
    }
   },
   "constraints": {
    "at_least_one": [
     "name",
     "uid"
    ]
   }
  },
  "metadata": {
   "attributes": {
    "data_classification": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "data_classifications": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "correlation_uid": {
     "requirement": "optional"
    },
    "debug": {
     "requirement": "optional"
    },
    "event_code": {
     "requirement": "optional"
    },
    "extension": {
     "requirement": "optional"
    },
    "extensions": {
     "requirement": "optional"
    },
    "is_truncated": {
     "requirement": "optional"
    },
    "labels": {
     "requirement": "optional"
    },
    "log_format": {
     "requirement": "optional"
    },
    "log_level": {
     "requirement": "optional"
    },
    "log_name": {
     "requirement": "recommended"
    },
    "log_provider": {
     "requirement": "optional"
    },
    "log_source": {
     "requirement": "optional"
    },
    "log_version": {
     "requirement": "optional"
    },
    "logged_time": {
     "requirement": "optional"
    },
    "loggers": {
     "requirement": "optional"
    },
    "modified_time": {
     "requirement": "optional"
    },
    "original_event_uid": {
     "requirement": "optional"
    },
    "original_time": {
     "requirement": "recommended"
    },
    "processed_time": {
     "requirement": "optional"
    },
    "product": {
     "requirement": "required"
    },
    "profiles": {
     "requirement": "optional"
    },
    "reporter": {
     "requirement": "recommended"
    },
    "sequence": {
     "requirement": "optional"
    },
    "source": {
     "requirement": "optional"
    },
    "tags": {
     "requirement": "optional"
    },
    "tenant_uid": {
     "requirement": "recommended"
    },
    "total_queued_duration": {
     "requirement": "optional"
    },
    "transformation_info_list": {
     "requirement": "optional"
    },
    "transmit_time": {
     "requirement": "optional"
    },
    "type": {
     "requirement": "optional"
    },
    "uid": {
     "requirement": "optional"
    },
    "untruncated_size": {
     "requirement": "optional"
    },
    "version": {
     "requirement": "required"
    }
   },
   "constraints": {}
  },
  "product": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended"
    },
    "data_classification": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "data_classifications": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "cpe_name": {
     "requirement": "optional"
    },
    "feature": {
     "requirement": "optional"
    },
    "lang": {
     "requirement": "optional"
    },
    "path": {
     "requirement": "optional"
    },
    "url_string": {
     "requirement": "optional"
    },
    "vendor_name": {
     "requirement": "recommended"
    },
    "version": {
     "requirement": "recommended"
    }
   },
   "constraints": {
    "at_least_one": [
     "name",
     "uid"
    ]
   }
  },
  "policy": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended"
    },
    "data": {
     "requirement": "optional"
    },
    "desc": {
     "requirement": "optional"
    },
    "group": {
     "requirement": "optional"
    },
    "is_applied": {
     "requirement": "recommended"
    },
    "type": {
     "requirement": "optional"
    },
    "version": {
     "requirement": "recommended"
    }
   },
   "constraints": {
    "at_least_one": [
     "name",
     "type",
     "uid"
    ]
   }
  },
  "authorization": {
   "attributes": {
    "decision": {
     "requirement": "recommended"
    },
    "policy": {
     "requirement": "optional"
    }
   },
   "constraints": {}
  },
  "resource_details": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended",
     "type": "resource_uid_t"
    },
    "data_classification": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "data_classifications": {
     "requirement": "recommended",
     "profile": "data_classification"
    },
    "created_time": {
     "requirement": "optional"
    },
    "data": {
     "requirement": "optional"
    },
    "labels": {
     "requirement": "optional"
    },
    "modified_time": {
     "requirement": "optional"
    },
    "tags": {
     "requirement": "optional"
    },
    "type": {
     "requirement": "optional"
    },
    "uid_alt": {
     "requirement": "optional",
     "type": "resource_uid_t"
    },
    "agent_list": {
     "requirement": "optional"
    },
    "cloud_partition": {
     "profile": "cloud",
     "requirement": "optional"
    },
    "criticality": {
     "requirement": "optional"
    },
    "group": {
     "requirement": "optional"
    },
    "hostname": {
     "requirement": "recommended"
    },
    "ip": {
     "requirement": "recommended"
    },
    "is_backed_up": {
     "requirement": "optional"
    },
    "namespace": {
     "requirement": "optional"
    },
    "owner": {
     "requirement": "recommended"
    },
    "provider": {
     "profile": "cloud",
     "requirement": "optional"
    },
    "region": {
     "profile": "cloud",
     "requirement": "optional"
    },
    "resource_relationship": {
     "requirement": "optional"
    },
    "role": {
     "requirement": "optional"
    },
    "role_id": {
     "requirement": "recommended",
     "enum": {
      "1": {
       "caption": "Target"
      },
      "2": {
       "caption": "Actor"
      },
      "3": {
       "caption": "Affected"
      },
      "4": {
       "caption": "Related"
      }
     }
    },
    "version": {
     "requirement": "optional"
    },
    "zone": {
     "profile": "cloud",
     "requirement": "optional"
    }
   },
   "constraints": {
    "at_least_one": [
     "name",
     "uid"
    ]
   }
  },
  "network_endpoint": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended"
    },
    "container": {
     "requirement": "recommended",
     "profile": "container"
    },
    "namespace_pid": {
     "requirement": "recommended",
     "profile": "container"
    },
    "agent_list": {
     "requirement": "optional"
    },
    "domain": {
     "requirement": "optional"
    },
    "hostname": {
     "requirement": "recommended"
    },
    "hw_info": {
     "requirement": "optional"
    },
    "instance_uid": {
     "requirement": "recommended"
    },
    "interface_name": {
     "requirement": "recommended"
    },
    "interface_uid": {
     "requirement": "recommended"
    },
    "ip": {
     "requirement": "recommended"
    },
    "location": {
     "requirement": "optional"
    },
    "mac": {
     "requirement": "optional"
    },
    "mac_vendor": {
     "requirement": "optional"
    },
    "os": {
     "requirement": "optional"
    },
    "owner": {
     "requirement": "recommended"
    },
    "pool": {
     "requirement": "optional"
    },
    "subnet_uid": {
     "requirement": "optional"
    },
    "type": {
     "requirement": "optional"
    },
    "type_id": {
     "requirement": "recommended",
     "enum": {
      "1": {
       "caption": "Server"
      },
      "2": {
       "caption": "Desktop"
      },
      "3": {
       "caption": "Laptop"
      },
      "4": {
       "caption": "Tablet"
      },
      "5": {
       "caption": "Mobile"
      },
      "6": {
       "caption": "Virtual"
      },
      "7": {
       "caption": "IOT"
      },
      "8": {
       "caption": "Browser"
      },
      "9": {
       "caption": "Firewall"
      },
      "10": {
       "caption": "Switch"
      },
      "11": {
       "caption": "Hub"
      },
      "12": {
       "caption": "Router"
      },
      "13": {
       "caption": "IDS"
      },
      "14": {
       "caption": "IPS"
      },
      "15": {
       "caption": "Load Balancer"
      }
     }
    },
    "vlan_uid": {
     "requirement": "optional"
    },
    "vpc_uid": {
     "requirement": "optional"
    },
    "zone": {
     "requirement": "optional"
    },
    "autonomous_system": {
     "requirement": "optional"
    },
    "fingerprints": {
     "requirement": "optional"
    },
    "intermediate_ips": {
     "requirement": "optional"
    },
    "isp": {
     "requirement": "optional"
    },
    "isp_org": {
     "requirement": "optional"
    },
    "network_scope": {
     "requirement": "optional"
    },
    "network_scope_id": {
     "requirement": "optional"
    },
    "port": {
     "requirement": "recommended"
    },
    "proxy_endpoint": {
     "requirement": "optional"
    },
    "svc_name": {
     "requirement": "recommended"
    }
   },
   "constraints": {
    "at_least_one": [
     "ip",
     "uid",
     "name",
     "hostname",
     "svc_name",
     "instance_uid",
     "interface_uid",
     "interface_name",
     "domain"
    ]
   }
  },
  "endpoint": {
   "attributes": {
    "name": {
     "requirement": "recommended"
    },
    "uid": {
     "requirement": "recommended"
    },
    "container": {
     "requirement": "recommended",
     "profile": "container"
    },
    "namespace_pid": {
     "requirement": "recommended",
     "profile": "container"
    },
    "agent_list": {
     "requirement": "optional"
    },
    "domain": {
     "requirement": "optional"
    },
    "hostname": {
     "requirement": "recommended"
    },
    "hw_info": {
     "requirement": "optional"
    },
    "instance_uid": {
     "requirement": "recommended"
    },
    "interface_name": {
     "requirement": "recommended"
    },
    "interface_uid": {
     "requirement": "recommended"
    },
    "ip": {
     "requirement": "recommended"
    },
    "location": {
     "requirement": "optional"
    },
    "mac": {
     "requirement": "optional"
    },
    "mac_vendor": {
     "requirement": "optional"
    },
    "os": {
     "requirement": "optional"
    },
    "owner": {
     "requirement": "recommended"
    },
    "pool": {
     "requirement": "optional"
    },
    "subnet_uid": {
     "requirement": "optional"
    },
    "type": {
     "requirement": "optional"
    },
    "type_id": {
     "requirement": "recommended",
     "enum": {
      "1": {
       "caption": "Server"
      },
      "2": {
       "caption": "Desktop"
      },
      "3": {
       "caption": "Laptop"
      },
      "4": {
       "caption": "Tablet"
      },
      "5": {
       "caption": "Mobile"
      },
      "6": {
       "caption": "Virtual"
      },
      "7": {
       "caption": "IOT"
      },
      "8": {
       "caption": "Browser"
      },
      "9": {
       "caption": "Firewall"
      },
      "10": {
       "caption": "Switch"
      },
      "11": {
       "caption": "Hub"
      },
      "12": {
       "caption": "Router"
      },
      "13": {
       "caption": "IDS"
      },
      "14": {
       "caption": "IPS"
      },
      "15": {
       "caption": "Load Balancer"
      }
     }
    },
    "vlan_uid": {
     "requirement": "optional"
    },
    "vpc_uid": {
     "requirement": "optional"
    },
    "zone": {
     "requirement": "optional"
    }
   },
   "constraints": {
    "at_least_one": [
     "ip",
     "uid",
     "name",
     "hostname",
     "instance_uid",
     "interface_uid",
     "interface_name"
    ]
   }
  }
 },
 "dictionary": {
  "account": {
   "type": "account"
  },
  "action": {
   "type": "string_t"
  },
  "action_id": {
   "type": "integer_t",
   "sibling": "action",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Allowed"
    },
    "2": {
     "caption": "Denied"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "activity_id": {
   "type": "integer_t",
   "sibling": "activity_name",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "activity_name": {
   "type": "string_t"
  },
  "actor": {
   "type": "actor"
  },
  "agent_list": {
   "type": "agent",
   "is_array": true
  },
  "ai_model": {
   "type": "ai_model"
  },
  "api": {
   "type": "api"
  },
  "app_name": {
   "type": "string_t"
  },
  "app_uid": {
   "type": "string_t"
  },
  "attacks": {
   "type": "attack",
   "is_array": true
  },
  "authorizations": {
   "type": "authorization",
   "is_array": true
  },
  "autonomous_system": {
   "type": "autonomous_system"
  },
  "category_name": {
   "type": "string_t"
  },
  "category_uid": {
   "type": "integer_t",
   "sibling": "category_name"
  },
  "class_name": {
   "type": "string_t"
  },
  "class_uid": {
   "type": "integer_t",
   "sibling": "class_name"
  },
  "cloud": {
   "type": "cloud"
  },
  "cloud_partition": {
   "type": "string_t"
  },
  "confidence": {
   "type": "string_t"
  },
  "confidence_id": {
   "type": "integer_t",
   "sibling": "confidence",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Low"
    },
    "2": {
     "caption": "Medium"
    },
    "3": {
     "caption": "High"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "confidence_score": {
   "type": "integer_t"
  },
  "container": {
   "type": "container"
  },
  "containers": {
   "type": "container",
   "is_array": true
  },
  "correlation_uid": {
   "type": "string_t"
  },
  "count": {
   "type": "integer_t"
  },
  "cpe_name": {
   "type": "string_t"
  },
  "created_time": {
   "type": "timestamp_t"
  },
  "credential_uid": {
   "type": "string_t"
  },
  "criticality": {
   "type": "string_t"
  },
  "data": {
   "type": "json_t"
  },
  "data_classification": {
   "type": "data_classification"
  },
  "data_classifications": {
   "type": "data_classification",
   "is_array": true
  },
  "debug": {
   "type": "string_t",
   "is_array": true
  },
  "decision": {
   "type": "string_t"
  },
  "desc": {
   "type": "string_t"
  },
  "device": {
   "type": "device"
  },
  "display_name": {
   "type": "string_t"
  },
  "disposition": {
   "type": "string_t"
  },
  "disposition_id": {
   "type": "integer_t",
   "sibling": "disposition",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Allowed"
    },
    "2": {
     "caption": "Blocked"
    },
    "3": {
     "caption": "Quarantined"
    },
    "4": {
     "caption": "Isolated"
    },
    "5": {
     "caption": "Deleted"
    },
    "6": {
     "caption": "Dropped"
    },
    "7": {
     "caption": "Custom Action"
    },
    "8": {
     "caption": "Approved"
    },
    "9": {
     "caption": "Restored"
    },
    "10": {
     "caption": "Exonerated"
    },
    "11": {
     "caption": "Corrected"
    },
    "12": {
     "caption": "Partially Corrected"
    },
    "13": {
     "caption": "Uncorrected"
    },
    "14": {
     "caption": "Delayed"
    },
    "15": {
     "caption": "Detected"
    },
    "16": {
     "caption": "No Action"
    },
    "17": {
     "caption": "Logged"
    },
    "18": {
     "caption": "Tagged"
    },
    "19": {
     "caption": "Alert"
    },
    "20": {
     "caption": "Count"
    },
    "21": {
     "caption": "Reset"
    },
    "22": {
     "caption": "Captcha"
    },
    "23": {
     "caption": "Challenge"
    },
    "24": {
     "caption": "Access Revoked"
    },
    "25": {
     "caption": "Rejected"
    },
    "26": {
     "caption": "Unauthorized"
    },
    "27": {
     "caption": "Error"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "domain": {
   "type": "string_t"
  },
  "dst_endpoint": {
   "type": "network_endpoint"
  },
  "duration": {
   "type": "long_t"
  },
  "email_addr": {
   "type": "email_t"
  },
  "end_time": {
   "type": "timestamp_t"
  },
  "enrichments": {
   "type": "enrichment",
   "is_array": true
  },
  "event_code": {
   "type": "string_t"
  },
  "expiration_reason": {
   "type": "string_t"
  },
  "expiration_time": {
   "type": "timestamp_t"
  },
  "extension": {
   "type": "extension"
  },
  "extensions": {
   "type": "extension",
   "is_array": true
  },
  "feature": {
   "type": "feature"
  },
  "fingerprints": {
   "type": "fingerprint",
   "is_array": true
  },
  "firewall_rule": {
   "type": "firewall_rule"
  },
  "flags": {
   "type": "string_t",
   "is_array": true
  },
  "forward_addr": {
   "type": "email_t"
  },
  "full_name": {
   "type": "string_t"
  },
  "group": {
   "type": "group"
  },
  "groups": {
   "type": "group",
   "is_array": true
  },
  "has_mfa": {
   "type": "boolean_t"
  },
  "hostname": {
   "type": "hostname_t"
  },
  "http_request": {
   "type": "http_request"
  },
  "http_response": {
   "type": "http_response"
  },
  "hw_info": {
   "type": "device_hw_info"
  },
  "idp": {
   "type": "idp"
  },
  "instance_uid": {
   "type": "string_t"
  },
  "interface_name": {
   "type": "string_t"
  },
  "interface_uid": {
   "type": "string_t"
  },
  "intermediate_ips": {
   "type": "ip_t",
   "is_array": true
  },
  "invoked_by": {
   "type": "string_t"
  },
  "ip": {
   "type": "ip_t"
  },
  "is_alert": {
   "type": "boolean_t"
  },
  "is_applied": {
   "type": "boolean_t"
  },
  "is_backed_up": {
   "type": "boolean_t"
  },
  "is_mfa": {
   "type": "boolean_t"
  },
  "is_remote": {
   "type": "boolean_t"
  },
  "is_truncated": {
   "type": "boolean_t"
  },
  "is_vpn": {
   "type": "boolean_t"
  },
  "isp": {
   "type": "string_t"
  },
  "isp_org": {
   "type": "string_t"
  },
  "issuer": {
   "type": "string_t"
  },
  "labels": {
   "type": "string_t",
   "is_array": true
  },
  "lang": {
   "type": "string_t"
  },
  "ldap_person": {
   "type": "ldap_person"
  },
  "location": {
   "type": "location"
  },
  "log_format": {
   "type": "string_t"
  },
  "log_level": {
   "type": "string_t"
  },
  "log_name": {
   "type": "string_t"
  },
  "log_provider": {
   "type": "string_t"
  },
  "log_source": {
   "type": "string_t"
  },
  "log_version": {
   "type": "string_t"
  },
  "logged_time": {
   "type": "timestamp_t"
  },
  "loggers": {
   "type": "logger",
   "is_array": true
  },
  "mac": {
   "type": "mac_t"
  },
  "mac_vendor": {
   "type": "string_t"
  },
  "malware": {
   "type": "malware",
   "is_array": true
  },
  "malware_scan_info": {
   "type": "malware_scan_info"
  },
  "message": {
   "type": "string_t"
  },
  "message_context": {
   "type": "message_context"
  },
  "metadata": {
   "type": "metadata"
  },
  "modified_time": {
   "type": "timestamp_t"
  },
  "name": {
   "type": "string_t"
  },
  "namespace": {
   "type": "string_t"
  },
  "namespace_pid": {
   "type": "integer_t"
  },
  "network_scope": {
   "type": "string_t"
  },
  "network_scope_id": {
   "type": "integer_t",
   "sibling": "network_scope",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Internal"
    },
    "2": {
     "caption": "External"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "observables": {
   "type": "observable",
   "is_array": true
  },
  "operation": {
   "type": "string_t"
  },
  "org": {
   "type": "organization"
  },
  "original_event_uid": {
   "type": "string_t"
  },
  "original_time": {
   "type": "string_t"
  },
  "os": {
   "type": "os"
  },
  "osint": {
   "type": "osint",
   "is_array": true
  },
  "owner": {
   "type": "user"
  },
  "path": {
   "type": "string_t"
  },
  "phone_number": {
   "type": "string_t"
  },
  "policy": {
   "type": "policy"
  },
  "pool": {
   "type": "group"
  },
  "port": {
   "type": "port_t"
  },
  "process": {
   "type": "process"
  },
  "processed_time": {
   "type": "timestamp_t"
  },
  "product": {
   "type": "product"
  },
  "profiles": {
   "type": "string_t",
   "is_array": true
  },
  "programmatic_credentials": {
   "type": "programmatic_credential",
   "is_array": true
  },
  "provider": {
   "type": "string_t"
  },
  "proxy_endpoint": {
   "type": "network_proxy"
  },
  "raw_data": {
   "type": "string_t"
  },
  "raw_data_hash": {
   "type": "fingerprint"
  },
  "raw_data_size": {
   "type": "long_t"
  },
  "region": {
   "type": "string_t"
  },
  "reporter": {
   "type": "reporter"
  },
  "request": {
   "type": "request"
  },
  "resource_relationship": {
   "type": "graph"
  },
  "resources": {
   "type": "resource_details",
   "is_array": true
  },
  "response": {
   "type": "response"
  },
  "risk_details": {
   "type": "string_t"
  },
  "risk_level": {
   "type": "string_t"
  },
  "risk_level_id": {
   "type": "integer_t",
   "sibling": "risk_level",
   "enum": {
    "0": {
     "caption": "Info"
    },
    "1": {
     "caption": "Low"
    },
    "2": {
     "caption": "Medium"
    },
    "3": {
     "caption": "High"
    },
    "4": {
     "caption": "Critical"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "risk_score": {
   "type": "integer_t"
  },
  "role": {
   "type": "string_t"
  },
  "role_id": {
   "type": "integer_t",
   "sibling": "role",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "sequence": {
   "type": "integer_t"
  },
  "service": {
   "type": "service"
  },
  "session": {
   "type": "session"
  },
  "severity": {
   "type": "string_t"
  },
  "severity_id": {
   "type": "integer_t",
   "sibling": "severity",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Informational"
    },
    "2": {
     "caption": "Low"
    },
    "3": {
     "caption": "Medium"
    },
    "4": {
     "caption": "High"
    },
    "5": {
     "caption": "Critical"
    },
    "6": {
     "caption": "Fatal"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "source": {
   "type": "string_t"
  },
  "src_endpoint": {
   "type": "network_endpoint"
  },
  "start_time": {
   "type": "timestamp_t"
  },
  "status": {
   "type": "string_t"
  },
  "status_code": {
   "type": "string_t"
  },
  "status_detail": {
   "type": "string_t"
  },
  "status_id": {
   "type": "integer_t",
   "sibling": "status",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "1": {
     "caption": "Success"
    },
    "2": {
     "caption": "Failure"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "subnet_uid": {
   "type": "string_t"
  },
  "svc_name": {
   "type": "string_t"
  },
  "tags": {
   "type": "key_value_object",
   "is_array": true
  },
  "tenant_uid": {
   "type": "string_t"
  },
  "terminal": {
   "type": "string_t"
  },
  "time": {
   "type": "timestamp_t"
  },
  "timezone_offset": {
   "type": "integer_t"
  },
  "token": {
   "type": "token"
  },
  "total_queued_duration": {
   "type": "timespan"
  },
  "trace": {
   "type": "trace"
  },
  "transformation_info_list": {
   "type": "transformation_info",
   "is_array": true
  },
  "transmit_time": {
   "type": "timestamp_t"
  },
  "type": {
   "type": "string_t"
  },
  "type_id": {
   "type": "integer_t",
   "sibling": "type",
   "enum": {
    "0": {
     "caption": "Unknown"
    },
    "99": {
     "caption": "Other"
    }
   }
  },
  "type_name": {
   "type": "string_t"
  },
  "type_uid": {
   "type": "long_t",
   "sibling": "type_name"
  },
  "uid": {
   "type": "string_t"
  },
  "uid_alt": {
   "type": "string_t"
  },
  "unmapped": {
   "type": "object"
  },
  "untruncated_size": {
   "type": "integer_t"
  },
  "url_string": {
   "type": "url_t"
  },
  "user": {
   "type": "user"
  },
  "uuid": {
   "type": "uuid_t"
  },
  "vendor_name": {
   "type": "string_t"
  },
  "version": {
   "type": "string_t"
  },
  "vlan_uid": {
   "type": "string_t"
  },
  "vpc_uid": {
   "type": "string_t"
  },
  "zone": {
   "type": "string_t"
  }
 },
 "types": {
  "boolean_t": null,
  "bytestring_t": "string_t",
  "datetime_t": "string_t",
  "email_t": "string_t",
  "file_hash_t": "string_t",
  "file_name_t": "string_t",
  "file_path_t": "string_t",
  "float_t": null,
  "hostname_t": "string_t",
  "integer_t": null,
  "ip_t": "string_t",
  "json_t": null,
  "long_t": null,
  "mac_t": "string_t",
  "port_t": "integer_t",
  "process_name_t": "string_t",
  "resource_uid_t": "string_t",
  "string_t": null,
  "subnet_t": "string_t",
  "timestamp_t": "long_t",
  "url_t": "string_t",
  "username_t": "string_t",
  "uuid_t": "string_t"
 }
} as const;
