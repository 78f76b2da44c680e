// A new diagram as KeyDesk expects one: an executable process with a channel, one lane per role, start → task → end.
export const NEW_DIAGRAM = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="definitions" targetNamespace="http://keydesk.example/bpmn">
  <bpmn:collaboration id="collaboration">
    <bpmn:participant id="participant" name="New process" processRef="new_process" />
  </bpmn:collaboration>
  <bpmn:process id="new_process" name="New process" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties><spiffworkflow:property name="channel" value="yellow" /></spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_agent" name="agent">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>handle</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="handle" />
    <bpmn:userTask id="handle" name="Handle the request">
      <bpmn:incoming>flow_start</bpmn:incoming><bpmn:outgoing>flow_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_end" sourceRef="handle" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>flow_end</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">
      <bpmndi:BPMNShape id="participant_di" bpmnElement="participant" isHorizontal="true">
        <dc:Bounds x="120" y="80" width="560" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_agent_di" bpmnElement="lane_agent" isHorizontal="true">
        <dc:Bounds x="150" y="80" width="530" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="202" y="152" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="handle_di" bpmnElement="handle"><dc:Bounds x="320" y="130" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="522" y="152" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start">
        <di:waypoint x="238" y="170" /><di:waypoint x="320" y="170" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_end_di" bpmnElement="flow_end">
        <di:waypoint x="420" y="170" /><di:waypoint x="522" y="170" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
